"""The operator's console in the admin (operations.md section 8): per key and feed, the last
window served, its status and time, the gaps, the recent failures and a chart of rows
sent per hour; an index of every key and feed; only for users allowed to see it."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from operations.console import page_url
from operations.selectors import HourRows, rows_per_hour
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


def test_rows_per_hour_sums_each_hour_in_the_database_and_fills_empty_hours_with_zero():
    PullFactory(key_name="InTarget", feed="users", started_at=at("2026-12-01 10:05:00"), rows=3)
    PullFactory(key_name="InTarget", feed="users", started_at=at("2026-12-01 10:59:59.9"), rows=4, status=503)
    PullFactory(key_name="InTarget", feed="users", started_at=at("2026-12-01 12:00:00"), rows=5)
    PullFactory(key_name="InTarget", feed="users", started_at=at("2026-12-01 08:59:59"), rows=100)  # too old
    PullFactory(key_name="InTarget", feed="bets", started_at=at("2026-12-01 10:10:00"), rows=100)  # other feed
    PullFactory(key_name="other", feed="users", started_at=at("2026-12-01 10:10:00"), rows=100)  # other key

    assert rows_per_hour(key="InTarget", feed="users", hours=4) == [
        HourRows(at("2026-12-01 09:00:00"), 0),
        HourRows(at("2026-12-01 10:00:00"), 7),
        HourRows(at("2026-12-01 11:00:00"), 0),
        HourRows(at("2026-12-01 12:00:00"), 5),
    ]


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


def test_the_page_lists_the_gaps_with_their_times(admin_client):
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00")
    pulled("2026-12-01 11:00:00", "2026-12-01 11:30:00")  # 10:00-11:00 skipped
    pulled("2026-12-01 11:30:00", "2026-12-01 12:00:00")

    body = admin_client.get(page_url("InTarget", "users")).content.decode()
    gaps = re.search(r'<table id="gaps">.*?</table>', body, re.S).group(0)
    assert re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", gaps) == [
        ("2026-12-01 10:00:00 UTC", "2026-12-01 11:00:00 UTC")
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


def test_the_chart_is_an_accessible_svg_with_a_bar_per_hour_that_sent_rows(admin_client):
    PullFactory(key_name="InTarget", feed="users", started_at=at("2026-12-01 10:05:00"), rows=30)
    PullFactory(key_name="InTarget", feed="users", started_at=at("2026-12-01 10:35:00"), rows=12)
    PullFactory(key_name="InTarget", feed="users", started_at=at("2026-11-28 03:00:00"), rows=8)

    body = admin_client.get(page_url("InTarget", "users")).content.decode()
    svg = re.search(r'<svg class="rows-chart".*?</svg>', body, re.S).group(0)
    assert 'role="img"' in svg and '<title id="chart-title">' in svg and "<desc" in svg
    assert "hour (UTC)" in svg and "rows sent" in svg
    bars = re.findall(r'<rect class="bar"[^>]*><title>(.*?)</title>', svg)
    assert bars == ["2026-11-28 03:00 UTC: 8 rows", "2026-12-01 10:00 UTC: 42 rows"]
    # Nothing is fetched from another host, nothing runs: no address but the SVG namespace, no script.
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]
    assert "<script" not in svg and "<image" not in svg and "href" not in svg


def test_the_index_lists_every_key_and_feed_with_its_last_pull_and_gap_count(admin_client):
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", started_at=at("2026-12-01 10:00:01"))
    pulled("2026-12-01 11:00:00", "2026-12-01 12:00:00", started_at=at("2026-12-01 12:00:09"))
    pulled("2026-12-01 09:00:00", "2026-12-01 10:00:00", feed="bets", status=503)
    issue_key("Fresh key", feeds=["transactions"])

    body = admin_client.get(INDEX).content.decode()
    table = re.search(r'<table id="console-index">.*?</table>', body, re.S).group(0)
    rows = [re.sub(r"<[^>]+>", "|", row) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]]
    cells = [[cell.strip() for cell in row.split("|") if cell.strip()] for row in rows]
    assert cells == [
        ["Fresh key", "transactions", "never pulled", "0", "0", "0"],
        ["InTarget", "bets", "2026-12-01 12:30:00 UTC", "2026-12-01 09:00:00 UTC to 2026-12-01 10:00:00 UTC",
         "503", "1", "1", "0"],
        ["InTarget", "users", "2026-12-01 12:00:09 UTC", "2026-12-01 11:00:00 UTC to 2026-12-01 12:00:00 UTC",
         "200", "2", "0", "1"],
    ]
    assert page_url("InTarget", "users") in table


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

