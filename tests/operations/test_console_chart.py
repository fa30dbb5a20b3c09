"""The console's chart of rows served per hour of WINDOW time (operations.md section 8):
rows go to the hours their window covers, whatever the time they were pulled; a window
spanning hours is spread over them by time; what no complete pull covered is drawn as a
hole, distinct from an hour covered with no rows; the current hour is marked as not over.
One grouped query reads the rows, in the database, over the pulls whose window overlaps
the chart's hours."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from operations.chart import SMALL, rows_chart
from operations.selectors import Gap, HourRows, Span, served_in_range, sync_gaps, timelines
from tests.support.factories import PullFactory, at

pytestmark = pytest.mark.django_db

NOW = at("2026-12-01 12:30:00")
DAY = {"start": at("2026-12-01 00:00:00"), "end": at("2026-12-02 00:00:00")}


def pulled(start: str, end: str, rows: int, key: str = "InTarget", feed: str = "users", **fields):
    return PullFactory(key_name=key, feed=feed, window_from=at(start), window_to=at(end), rows=rows, **fields)


def users_rows(**bounds) -> dict:
    served = served_in_range(**(bounds or DAY)).get(("InTarget", "users"))
    return served.hours if served else {}


def test_rows_go_to_the_hour_of_their_window_not_the_hour_they_were_pulled():
    pulled("2026-12-01 09:00:00", "2026-12-01 09:10:00", 3, started_at=at("2026-12-01 15:00:00"))
    pulled("2026-12-01 09:10:00", "2026-12-01 10:00:00", 4, started_at=at("2026-12-01 10:00:05"))
    pulled("2026-12-01 11:00:00", "2026-12-01 12:00:00", 5, started_at=at("2026-12-03 08:00:00"))
    assert users_rows() == {at("2026-12-01 09:00:00"): 7, at("2026-12-01 11:00:00"): 5}


def test_a_window_spanning_hours_is_spread_over_them_by_time():
    pulled("2026-12-01 10:30:00", "2026-12-01 12:00:00", 90)  # 30 minutes of 10:00, all of 11:00
    pulled("2026-12-01 13:45:00", "2026-12-01 16:15:00", 100)  # 15, 60, 60, 15 minutes of 150
    assert users_rows() == {
        at("2026-12-01 10:00:00"): 30,
        at("2026-12-01 11:00:00"): 60,
        at("2026-12-01 13:00:00"): 10,
        at("2026-12-01 14:00:00"): 40,
        at("2026-12-01 15:00:00"): 40,
        at("2026-12-01 16:00:00"): 10,
    }


def test_only_complete_200_pulls_count_and_a_window_pulled_twice_counts_twice():
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", 5)
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", 5)
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", 100, complete=False)  # cut off
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", 100, status=503)
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", 100, key="other")
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", 100, feed="bets")
    assert users_rows() == {at("2026-12-01 09:00:00"): 10}


def test_only_the_hours_of_the_range_are_counted_of_a_window_reaching_into_it():
    pulled("2026-11-30 22:00:00", "2026-12-01 02:00:00", 40)  # two of its four hours in the day
    pulled("2026-11-29 00:00:00", "2026-11-30 00:00:00", 1000)  # before the day
    pulled("2026-01-01 00:00:00", "2026-12-31 00:00:00", 8736)  # a year: one row per hour
    assert users_rows() == {
        at("2026-12-01 00:00:00"): 11,
        at("2026-12-01 01:00:00"): 11,
        **{at(f"2026-12-01 {hour:02d}:00:00"): 1 for hour in range(2, 24)},
    }


def test_an_empty_window_gives_its_hour_nothing_and_fails_nothing():
    pulled("2026-12-01 09:00:00", "2026-12-01 09:00:00", 0)
    assert users_rows() == {}


def test_the_rows_of_every_key_and_feed_are_read_by_one_grouped_query():
    for hour in range(10):
        pulled(f"2026-12-01 {hour:02d}:00:00", f"2026-12-01 {hour:02d}:30:00", 1)
        pulled(f"2026-12-01 {hour:02d}:30:00", f"2026-12-01 {hour + 1:02d}:30:00", 2, feed="bets")
    with CaptureQueriesContext(connection) as queries:
        served = served_in_range(**DAY)
    assert len(queries) == 1
    assert "GROUP BY" in queries[0]["sql"]
    assert sum(served["InTarget", "users"].hours.values()) == 10 and sum(served["InTarget", "bets"].hours.values()) == 20
    # With the bounds of the windows, which tell the time not pulled.
    assert (served["InTarget", "bets"].first, served["InTarget", "bets"].last) == (
        at("2026-12-01 00:30:00"), at("2026-12-01 10:30:00"))


def test_a_timeline_is_one_query_whatever_the_number_of_lines():
    for feed in ("users", "bets", "logins"):
        pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", 1, feed=feed)
    gaps = list(sync_gaps())
    with CaptureQueriesContext(connection) as queries:
        lines = timelines(hours=24, gaps=gaps, now=NOW)
        charts = [lines.of("InTarget", feed) for feed in ("users", "bets", "logins", "wallets")]
    assert len(queries) == 1 and len(charts) == 4


def test_a_timeline_has_the_hours_of_the_range_its_gaps_and_the_time_not_pulled():
    pulled("2026-12-01 08:00:00", "2026-12-01 09:00:00", 4)
    pulled("2026-12-01 10:00:00", "2026-12-01 11:30:00", 6)  # 09:00-10:00 missed
    line = timelines(hours=6, gaps=sync_gaps(), now=NOW).of("InTarget", "users")
    assert (line.start, line.end, line.current_hour) == (at("2026-12-01 07:00:00"), at("2026-12-01 13:00:00"),
                                                         at("2026-12-01 12:00:00"))
    assert line.hours == (
        HourRows(at("2026-12-01 07:00:00"), 0),
        HourRows(at("2026-12-01 08:00:00"), 4),
        HourRows(at("2026-12-01 09:00:00"), 0),
        HourRows(at("2026-12-01 10:00:00"), 4),
        HourRows(at("2026-12-01 11:00:00"), 2),
        HourRows(at("2026-12-01 12:00:00"), 0),
    )
    assert line.gaps == (Gap("InTarget", "users", at("2026-12-01 09:00:00"), at("2026-12-01 10:00:00")),)
    assert line.unpulled == (
        Span(at("2026-12-01 07:00:00"), at("2026-12-01 08:00:00")),  # before the first window
        Span(at("2026-12-01 11:30:00"), NOW),  # after the latest: not pulled yet
    )


def test_a_line_never_pulled_is_unpulled_all_along():
    line = timelines(hours=24, gaps=[], now=NOW).of("Fresh key", "users")
    assert line.unpulled == (Span(at("2026-11-30 13:00:00"), NOW),)
    assert not line.gaps and not any(hour.rows for hour in line.hours)


def test_time_before_the_range_s_first_window_is_a_gap_when_an_earlier_window_ended_before_it():
    pulled("2026-11-30 08:00:00", "2026-11-30 09:00:00", 1)  # before the 24 hours
    pulled("2026-12-01 06:00:00", "2026-12-01 12:00:00", 1)
    line = timelines(hours=24, gaps=sync_gaps(), now=NOW).of("InTarget", "users")
    assert line.gaps == (Gap("InTarget", "users", at("2026-11-30 09:00:00"), at("2026-12-01 06:00:00")),)
    assert line.unpulled == (Span(at("2026-12-01 12:00:00"), NOW),)


def test_a_line_that_stopped_pulling_before_the_range_is_unpulled_all_along():
    pulled("2026-11-29 08:00:00", "2026-11-29 09:00:00", 1)
    line = timelines(hours=24, gaps=sync_gaps(), now=NOW).of("InTarget", "users")
    assert line.unpulled == (Span(at("2026-11-30 13:00:00"), NOW),)
    chart = svg(line)
    assert "(no complete window covers it)</title>" in chart


def test_a_gap_before_the_range_is_not_on_the_chart():
    pulled("2026-11-20 08:00:00", "2026-11-20 09:00:00", 1)
    pulled("2026-11-20 10:00:00", "2026-12-01 12:00:00", 1)
    assert list(sync_gaps())
    assert timelines(hours=24, gaps=sync_gaps(), now=NOW).of("InTarget", "users").gaps == ()


def svg(timeline, **options) -> str:
    return str(rows_chart(timeline, title="Rows served to InTarget from users", ident="c1", **options))


def test_a_hole_is_a_red_hatched_band_with_its_window_to_ask_again_and_not_a_covered_empty_hour():
    pulled("2026-12-01 08:00:00", "2026-12-01 09:00:00", 0)  # covered, no rows
    pulled("2026-12-01 09:20:00", "2026-12-01 12:00:00", 8)  # 09:00-09:20 missed
    chart = svg(timelines(hours=6, gaps=sync_gaps(), now=NOW).of("InTarget", "users"))

    gaps = re.findall(r'<g class="gap">(.*?)</g>', chart)
    assert len(gaps) == 1
    assert 'fill="url(#c1-hatch-gap)"' in gaps[0]
    assert "<title>Gap: 2026-12-01 09:00:00 to 2026-12-01 09:20:00 UTC: no complete pull covered it" in gaps[0]
    assert "Ask again: from=2026-12-01+09:00:00&amp;to=2026-12-01+09:20:00</title>" in gaps[0]
    # The hatch pattern is defined in this very SVG.
    assert '<pattern id="c1-hatch-gap"' in chart
    # 08:00-09:00 was covered with no rows: no bar, no band, but the covered strip.
    bar_titles = re.findall(r'<rect class="bar[^"]*"[^>]*><title>(.*?)</title>', chart)
    assert not [title for title in bar_titles if title.startswith("2026-12-01 08:00")]
    covered = re.findall(r'<rect class="covered"[^>]*><title>(.*?)</title>', chart)
    assert covered == [
        "Covered by complete windows: 2026-12-01 08:00:00 to 2026-12-01 09:00:00 UTC",
        "Covered by complete windows: 2026-12-01 09:20:00 to 2026-12-01 12:00:00 UTC",
    ]
    unpulled = re.findall(r'<rect class="unpulled"[^>]*><title>(.*?)</title>', chart)
    assert unpulled == [
        "Not pulled: 2026-12-01 07:00:00 to 2026-12-01 08:00:00 UTC (before the first complete window)",
        "Not pulled: 2026-12-01 12:00:00 to 2026-12-01 12:30:00 UTC (after the latest complete window)",
    ]
    # Where they are drawn: six hours over the 720 units of the plot, from x = 64, 120 each.
    plot = chart.split('<g class="legend-')[0]
    assert re.findall(r'<rect class="(gap-fill|unpulled)" x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"',
                      plot) == [
        ("unpulled", "64.0", "10", "120.0", "180"),
        ("unpulled", "664.0", "10", "60.0", "180"),
        ("gap-fill", "304.0", "10", "40.0", "180"),
    ]


def test_the_current_hour_is_marked_as_not_over():
    pulled("2026-12-01 11:00:00", "2026-12-01 12:00:00", 5)
    pulled("2026-12-01 12:00:00", "2026-12-01 12:25:00", 3)
    chart = svg(timelines(hours=3, gaps=[], now=NOW).of("InTarget", "users"))
    bars = re.findall(r'<rect class="(bar[^"]*)"[^>]*><title>(.*?)</title>', chart)
    assert bars == [
        ("bar", "2026-12-01 11:00–12:00 UTC: 5 rows served"),
        ("bar current", "2026-12-01 12:00–13:00 UTC: 3 rows served so far (this hour is not over)"),
    ]
    assert re.search(r'<rect class="now-band"[^>]*><title>2026-12-01 12:00–13:00 UTC: this hour is not over', chart)


def test_the_chart_is_an_accessible_image_that_says_in_words_what_it_shows():
    pulled("2026-12-01 10:30:00", "2026-12-01 11:30:00", 3)
    pulled("2026-12-01 11:40:00", "2026-12-01 12:00:00", 2)
    chart = svg(timelines(hours=4, gaps=sync_gaps(), now=NOW).of("InTarget", "users"))
    assert chart.startswith('<svg class="rows-chart full" role="img" aria-labelledby="c1-title c1-desc"')
    assert '<title id="c1-title">Rows served to InTarget from users</title>' in chart
    desc = re.search(r'<desc id="c1-desc">(.*?)</desc>', chart).group(1)
    assert desc.startswith("5 rows served for the window time from 2026-12-01 09:00 to 2026-12-01 13:00 UTC")
    assert "spread over them evenly by time" in desc
    assert "1 gap(s), window time no complete pull covered (red): 2026-12-01 11:30:00 to 2026-12-01 11:40:00 UTC." in desc
    assert "The hour from 2026-12-01 12:00 UTC is not over" in desc
    # A share of a window spanning hours is written with its decimal.
    assert re.findall(r'<rect class="bar"[^>]*><title>(.*?)</title>', chart) == [
        "2026-12-01 10:00–11:00 UTC: 1.5 rows served",
        "2026-12-01 11:00–12:00 UTC: 3.5 rows served",
    ]
    # Nothing is fetched from another host, nothing runs: no address but the SVG namespace, no script.
    assert re.findall(r"https?://[^\"' ]+", chart) == ["http://www.w3.org/2000/svg"]
    assert "<script" not in chart and "<image" not in chart and "href" not in chart


def test_a_gap_of_a_minute_is_still_visible_on_thirty_days():
    pulled("2026-11-05 00:00:00", "2026-12-01 10:00:00", 1)
    pulled("2026-12-01 10:01:00", "2026-12-01 12:00:00", 1)
    for size in ({}, {"size": SMALL}):
        chart = svg(timelines(hours=720, gaps=sync_gaps(), now=NOW).of("InTarget", "users"), **size)
        width = float(re.search(r'<g class="gap"><rect class="gap-fill" x="[^"]+" y="[^"]+" width="([^"]+)"', chart).group(1))
        assert width >= 2


def test_the_small_chart_keeps_its_titles_and_leaves_the_legend_to_the_page():
    pulled("2026-12-01 10:00:00", "2026-12-01 11:00:00", 3)
    chart = svg(timelines(hours=24, gaps=[], now=NOW).of("InTarget", "users"), size=SMALL)
    assert chart.startswith('<svg class="rows-chart small" role="img"')
    assert "<desc" in chart and re.findall(r'<rect class="bar"[^>]*><title>(.*?)</title>', chart) == [
        "2026-12-01 10:00–11:00 UTC: 3 rows served"
    ]
    assert "gap: never served" not in chart


@pytest.mark.parametrize(("rows", "peak"), [(3, "5/h"), (480, "500/h"), (900, "1k/h"), (45_000, "50k/h"), (1_500_000, "2M/h")])
def test_the_small_chart_writes_its_peak_short_inside_its_margin(rows, peak):
    """The margin beside the plot holds the widest (``500k/h``): a peak of 1,000 rows an
    hour was cut to ``1,00``."""
    pulled("2026-12-01 10:00:00", "2026-12-01 11:00:00", rows)
    chart = svg(timelines(hours=24, gaps=[], now=NOW).of("InTarget", "users"), size=SMALL)
    assert re.search(r'class="peak">(.*?)</text>', chart).group(1) == peak
    assert SMALL.right >= 6 * 11 * 0.6  # six characters of 11 px text, each at most 0.6 em wide


@pytest.mark.postgresql
def test_the_chart_reads_the_windows_of_its_hours_through_an_index_not_the_whole_log():
    with CaptureQueriesContext(connection) as queries:
        served_in_range(**DAY)
    sql = queries[0]["sql"]
    with connection.cursor() as cursor:
        # On an empty table a sequential scan always looks cheapest; forbid it to see
        # whether an index can find the range at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "operations_pull_window_to_idx" in plan, plan
