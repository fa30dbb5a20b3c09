"""Real requests to the API make the pull log, and the console shows them: the gap left
on purpose, as a gap to ask again and as a hole in the chart, and the rows served in the
hour of window time they changed in (operations.md section 8)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from rest_framework.test import APIClient

from operations.console import page_url
from tests.support.factories import PlayerFactory, issue_key

pytestmark = pytest.mark.django_db

INDEX = "/admin/operations/console/"


def stamp(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def test_pulls_made_through_the_api_show_on_the_console_with_the_gap_left_on_purpose(admin_client):
    # An hour that ended three hours ago (final, and in the last 24 hours whatever the clock).
    hour = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=3)
    for minute in (5, 15, 45):
        PlayerFactory(modified_at=hour + dt.timedelta(minutes=minute))
    _, secret = issue_key("InTarget")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    for start, end in [(0, 10), (10, 20), (40, 50)]:  # 20-40 skipped
        window = {"from": stamp(hour + dt.timedelta(minutes=start)), "to": stamp(hour + dt.timedelta(minutes=end))}
        response = api.get("/api/users", window)
        assert response.status_code == 200, response.content
        # Read to the end: the test client then closes the answer, which records it.
        b"".join(response.streaming_content)
    skipped = (stamp(hour + dt.timedelta(minutes=20)), stamp(hour + dt.timedelta(minutes=40)))
    query = f"from={skipped[0].replace(' ', '+')}&amp;to={skipped[1].replace(' ', '+')}"

    body = admin_client.get(page_url("InTarget", "users")).content.decode()
    gaps = re.search(r'<table id="gaps".*?</table>', body, re.S).group(0)
    assert re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", gaps) == [(f"{skipped[0]} UTC", f"{skipped[1]} UTC")]
    # One row in each window pulled, all three in the hour they changed in, not the hour pulled.
    bars = re.findall(r'<rect class="bar[^"]*"[^>]*><title>(.*?) UTC: (\S+) rows served', body)
    assert bars == [(f"{hour:%Y-%m-%d %H:00}–{hour + dt.timedelta(hours=1):%H:00}", "3")]
    assert f"Gap: {skipped[0]} to {skipped[1]} UTC" in body and f"Ask again: {query}" in body

    # The first page has it too: the gap, ready to ask again, and the hole in the line's chart.
    index = admin_client.get(INDEX).content.decode()
    assert f"<code>{query}</code>" in index
    assert f"Gap: {skipped[0]} to {skipped[1]} UTC" in index
