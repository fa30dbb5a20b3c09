"""The console's reads of many lines at once: each line's latest pull and latest complete
window (``latest_pulls``) and the gaps of several lines (``sync_gaps(lines=…)``), each one
query whatever the number of lines, and the same answers as one line at a time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from operations.selectors import LatestPulls, latest_pulls, pulled_feeds, pulls_listed, sync_gaps
from tests.support.factories import PullFactory, at

pytestmark = pytest.mark.django_db

T = at("2026-12-01 10:00:00")
MINUTE = dt.timedelta(minutes=1)


def pulled(minute: int, key: str = "InTarget", feed: str = "users", **fields):
    """A pull started ``minute`` minutes after T, of the window of the hour before it."""
    fields.setdefault("window_from", T + (minute - 60) * MINUTE)
    fields.setdefault("window_to", T + minute * MINUTE)
    return PullFactory(key_name=key, feed=feed, started_at=T + minute * MINUTE, **fields)


def test_the_latest_pull_whatever_its_answer_and_the_latest_complete_window():
    pulled(0)
    whole = pulled(1)
    pulled(2, status=503)
    pulled(3, complete=False)
    pulled(4, window_from=None, window_to=None)  # served whole, but no window
    last = pulled(5, status=429)
    assert latest_pulls([("InTarget", "users")]) == {("InTarget", "users"): LatestPulls(last, whole)}


def test_a_latest_pull_that_is_a_complete_window_is_both():
    pulled(0)
    last = pulled(1)
    assert latest_pulls([("InTarget", "users")]) == {("InTarget", "users"): LatestPulls(last, last)}


def test_pulls_started_at_the_same_moment_are_told_apart_by_id_as_the_log_lists_them():
    first = pulled(1)
    second = pulled(1)
    third = pulled(1, status=503)
    assert pulls_listed(key="InTarget", feed="users").last() == third
    assert latest_pulls([("InTarget", "users")]) == {("InTarget", "users"): LatestPulls(third, second)}
    assert first.pk < second.pk


def test_a_line_without_a_complete_window_has_only_its_latest_pull_and_one_without_pulls_is_absent():
    failed = pulled(0, feed="bets", status=403)
    assert latest_pulls([("InTarget", "bets"), ("InTarget", "users")]) == {
        ("InTarget", "bets"): LatestPulls(failed, None)
    }
    assert latest_pulls([]) == {}


def test_every_line_is_read_in_one_query_with_the_answers_of_each_alone():
    lines = [(key, feed) for key in ("InTarget", "Other") for feed in ("users", "bets", "logins")]
    for n, (key, feed) in enumerate(lines):
        pulled(n, key=key, feed=feed)
        pulled(n + 10, key=key, feed=feed, status=503)
    with CaptureQueriesContext(connection) as queries:
        together = latest_pulls(lines)
    assert len(queries) == 1
    assert together == {line: latest_pulls([line])[line] for line in lines}


def test_the_gaps_of_several_lines_are_one_query_and_those_of_each_line():
    for key, feed in [("InTarget", "users"), ("InTarget", "bets"), ("Other", "users")]:
        for minute in (0, 1, 3, 4, 7):  # gaps before 3 and 7
            pulled(minute, key=key, feed=feed, window_from=T + minute * MINUTE, window_to=T + (minute + 1) * MINUTE)
    lines = {("InTarget", "bets"), ("Other", "users"), ("Other", "bets")}
    with CaptureQueriesContext(connection) as queries:
        gaps = list(sync_gaps(lines=lines))
    assert len(queries) == 1
    assert gaps == [gap for key, feed in sorted(lines) for gap in sync_gaps(key=key, feed=feed)]
    assert len(gaps) == 4
    assert list(sync_gaps(lines=set())) == []


def test_the_index_reads_the_same_number_of_queries_whatever_the_number_of_lines():
    def reads() -> int:
        with CaptureQueriesContext(connection) as queries:
            pulled_feeds()
        return len(queries)

    pulled(0)
    few = reads()
    for feed in ("bets", "logins", "wallets", "games"):
        pulled(0, feed=feed)
        pulled(1, feed=feed, status=503)
    assert reads() == few


@pytest.mark.postgresql
def test_the_gaps_are_read_in_order_from_their_own_index_not_by_sorting_the_log():
    with CaptureQueriesContext(connection) as queries:
        list(sync_gaps())
    sql = queries[0]["sql"]
    with connection.cursor() as cursor:
        # On an empty (or small: other tests leave statistics) table a sequential scan
        # and a sort always look cheapest; forbid them, incremental sorts after another
        # index too, to see whether an index gives the windows in order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "operations_pull_windows_idx" in plan, plan
    window_agg = plan[plan.index("WindowAgg"):]
    assert "Sort" not in window_agg, plan
