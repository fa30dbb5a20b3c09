"""The operator's console in the admin (operations.md section 8): its first page shows, per
key and feed, the state, the last whole window, the gaps themselves (ready to ask for
again) and a chart of rows served per hour of window time; a page per key and feed has
the detail; only users allowed to see it do."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from operations.console import page_url
from tests.support.console import index_cells, index_line
from tests.support.factories import PullFactory, at, issue_key

pytestmark = pytest.mark.django_db

NOW = at("2026-12-01 12:30:00")
INDEX = "/admin/operations/console/"


def pulled(start: str, end: str, key: str = "InTarget", feed: str = "users", **fields):
    return PullFactory(key_name=key, feed=feed, window_from=at(start), window_to=at(end), **fields)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_index_shows_state_last_whole_window_gaps_and_a_chart_per_key_and_feed(admin_client):
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", started_at=at("2026-12-01 10:00:01"))
    pulled("2026-12-01 11:00:00", "2026-12-01 12:00:00", started_at=at("2026-12-01 12:00:09"))  # 10:00-11:00 missed
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", feed="bets", started_at=at("2026-12-01 10:00:02"))
    pulled("2026-12-01 10:00:00", "2026-12-01 11:00:00", feed="bets", started_at=at("2026-12-01 11:00:02"), status=503)
    issue_key("Fresh key", feeds=["transactions"])

    body = admin_client.get(INDEX).content.decode()
    assert index_cells(body) == [
        ["Fresh key", "transactions", "never pulled no pull in the log", "none", "none", ""],
        ["InTarget", "bets", "failing last pull 2026-12-01 11:00:02 UTC, answered 503 2 pulls, 1 failed",
         "2026-12-01 09:00:00 UTC to 2026-12-01 10:00:00 UTC pulled 2026-12-01 10:00:02 UTC", "none", ""],
        ["InTarget", "users", "pulling last pull 2026-12-01 12:00:09 UTC, served whole 2 pulls, 0 failed",
         "2026-12-01 11:00:00 UTC to 2026-12-01 12:00:00 UTC pulled 2026-12-01 12:00:09 UTC",
         "from=2026-12-01+10:00:00&amp;to=2026-12-01+11:00:00", ""],
    ]
    # Every line has its chart, on the first page.
    assert len(re.findall(r'<svg class="rows-chart small"', body)) == 3
    users = index_line(body, "InTarget", "users")
    assert "Gap: 2026-12-01 10:00:00 to 2026-12-01 11:00:00 UTC" in users


def test_a_line_that_was_cut_off_last_is_failing(admin_client):
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", started_at=at("2026-12-01 10:00:01"))
    pulled("2026-12-01 10:00:00", "2026-12-01 11:00:00", started_at=at("2026-12-01 11:00:01"), complete=False)
    cells = index_cells(admin_client.get(INDEX).content.decode())
    assert cells[0][2] == "failing last pull 2026-12-01 11:00:01 UTC, cut off before the end 2 pulls, 1 failed"


def test_the_index_lists_the_latest_gaps_and_links_to_the_rest(admin_client):
    for hour in range(0, 12, 2):  # pulled 00, 02, 04, 06, 08, 10: five hours missed between them
        pulled(f"2026-12-01 {hour:02d}:00:00", f"2026-12-01 {hour + 1:02d}:00:00")

    line = index_line(admin_client.get(INDEX).content.decode(), "InTarget", "users")
    shown = re.findall(r"<code>(.*?)</code>", line)
    assert shown == [
        "from=2026-12-01+09:00:00&amp;to=2026-12-01+10:00:00",
        "from=2026-12-01+07:00:00&amp;to=2026-12-01+08:00:00",
        "from=2026-12-01+05:00:00&amp;to=2026-12-01+06:00:00",
    ]
    more = re.search(r'<a class="more-gaps" href="([^"]+)">(.*?)</a>', line)
    assert more.groups() == (f"{page_url('InTarget', 'users')}#gaps", "and 2 more")


def test_the_charts_cover_the_last_24_hours_unless_another_range_is_chosen(admin_client):
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", rows=4)
    for path in (INDEX, page_url("InTarget", "users")):
        body = admin_client.get(path).content.decode()
        assert "from 2026-11-30 13:00 to 2026-12-01 13:00 UTC" in body  # the chart's <desc>
        assert '<strong aria-current="page">last 24 hours</strong>' in body
        assert f'<a href="{path}?range=7d">last 7 days</a>' in body

        week = admin_client.get(path, {"range": "7d"}).content.decode()
        assert "from 2026-11-24 13:00 to 2026-12-01 13:00 UTC" in week
        assert '<strong aria-current="page">last 7 days</strong>' in week
        month = admin_client.get(path, {"range": "30d"}).content.decode()
        assert "from 2026-11-01 13:00 to 2026-12-01 13:00 UTC" in month


def test_a_bad_range_is_answered_400_with_what_is_allowed_and_the_default_chart(admin_client):
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00")
    for path in (INDEX, page_url("InTarget", "users")):
        response = admin_client.get(path, {"range": "5y"})
        body = response.content.decode()
        assert response.status_code == 400
        assert "range must be one of 24h, 7d, 30d, not &#x27;5y&#x27;: showing the last 24 hours." in body
        assert "from 2026-11-30 13:00 to 2026-12-01 13:00 UTC" in body


def test_the_page_shows_the_last_pull_its_window_status_and_time(admin_client):
    pulled("2026-12-01 10:00:00", "2026-12-01 11:00:00", started_at=at("2026-12-01 11:00:05"))
    pulled("2026-12-01 11:00:00", "2026-12-01 12:00:00", started_at=at("2026-12-01 12:00:07"), status=425, rows=0)

    body = admin_client.get(page_url("InTarget", "users")).content.decode()
    last = re.search(r'<table id="last-pull">.*?</table>', body, re.S).group(0)
    assert "2026-12-01 12:00:07 UTC" in last
    assert "2026-12-01 11:00:00 UTC to 2026-12-01 12:00:00 UTC" in last
    assert "<td>425</td>" in last
    # What InTarget last received whole is the earlier window, not the refused one.
    assert "<td>2026-12-01 10:00:00 UTC to 2026-12-01 11:00:00 UTC</td>" in last
    assert re.search(r'id="state">State: <strong class="state-failing">failing</strong>', body)


def test_the_page_lists_every_gap_with_the_query_and_the_command_that_serve_it_again(admin_client):
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00")
    pulled("2026-12-01 11:00:00", "2026-12-01 11:30:00")  # 10:00-11:00 skipped
    pulled("2026-12-01 11:30:00", "2026-12-01 11:40:00")
    pulled("2026-12-01 11:50:00", "2026-12-01 12:00:00")  # 11:40-11:50 skipped

    body = admin_client.get(page_url("InTarget", "users")).content.decode()
    gaps = re.search(r'<table id="gaps".*?</table>', body, re.S).group(0)
    rows = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in re.findall(r"<tr>(.*?)</tr>", gaps, re.S)[1:]]
    assert rows == [
        ["2026-12-01 10:00:00 UTC", "2026-12-01 11:00:00 UTC", "1:00:00",
         "<code>from=2026-12-01+10:00:00&amp;to=2026-12-01+11:00:00</code><br>"
         "<code>export_feed users --from &quot;2026-12-01 10:00:00&quot; --to &quot;2026-12-01 11:00:00&quot;</code>"],
        ["2026-12-01 11:40:00 UTC", "2026-12-01 11:50:00 UTC", "0:10:00",
         "<code>from=2026-12-01+11:40:00&amp;to=2026-12-01+11:50:00</code><br>"
         "<code>export_feed users --from &quot;2026-12-01 11:40:00&quot; --to &quot;2026-12-01 11:50:00&quot;</code>"],
    ]


def test_a_key_without_holes_says_so(admin_client):
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00")
    pulled("2026-12-01 10:00:00", "2026-12-01 11:00:00")
    body = admin_client.get(page_url("InTarget", "users")).content.decode()
    assert 'id="no-gaps"' in body and 'id="gaps"' not in body


def test_recent_failures_are_refused_failed_or_cut_off_pulls_newest_first(admin_client):
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", started_at=at("2026-12-01 10:00:01"))
    pulled("2026-12-01 10:00:00", "2026-12-01 11:00:00", started_at=at("2026-12-01 11:00:01"), status=429)
    pulled("2026-12-01 10:00:00", "2026-12-01 11:00:00", started_at=at("2026-12-01 11:00:02"), complete=False)
    pulled("2026-12-01 10:00:00", "2026-12-01 11:00:00", started_at=at("2026-12-01 11:00:03"), key="other", status=500)

    body = admin_client.get(page_url("InTarget", "users")).content.decode()
    failures = re.search(r'<table id="failures">.*?</table>', body, re.S).group(0)
    assert re.findall(r"<tr><td>(.*?)</td>", failures) == ["2026-12-01 11:00:02 UTC", "2026-12-01 11:00:01 UTC"]


def test_the_page_draws_the_full_chart_with_its_axes_and_legend(admin_client):
    pulled("2026-12-01 10:00:00", "2026-12-01 10:30:00", rows=30)
    pulled("2026-12-01 10:30:00", "2026-12-01 11:00:00", rows=12)

    body = admin_client.get(page_url("InTarget", "users")).content.decode()
    svg = re.search(r'<svg class="rows-chart full".*?</svg>', body, re.S).group(0)
    assert "window time (UTC), by hour" in svg and "rows served" in svg
    assert re.findall(r'<rect class="bar"[^>]*><title>(.*?)</title>', svg) == [
        "2026-12-01 10:00–11:00 UTC: 42 rows served"
    ]
    for words in ("gap: never served", "not pulled (yet)", "covered by complete windows", "this hour, not over"):
        assert f">{words}</text>" in svg


def test_a_key_name_with_a_slash_has_its_own_page(admin_client):
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", key="InTarget/prod", started_at=at("2026-12-01 10:00:04"))
    response = admin_client.get(page_url("InTarget/prod", "users"))
    assert response.status_code == 200
    assert "2026-12-01 10:00:04 UTC" in response.content.decode()


def test_the_admin_index_links_to_the_console(admin_client):
    assert f'href="{INDEX}"' in admin_client.get(reverse("admin:index")).content.decode()


def test_the_console_needs_a_login_and_the_console_view_permission(client):
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00")
    page = page_url("InTarget", "users")
    for path in (INDEX, page):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    staff = User.objects.create_user("support", password="pw-support-1", is_staff=True)
    client.force_login(staff)
    assert client.get(INDEX).status_code == 403
    assert client.get(page).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_console"))
    staff = User.objects.get(pk=staff.pk)  # permissions are cached per user object
    client.force_login(staff)
    assert client.get(INDEX).status_code == 200
    assert client.get(page).status_code == 200
