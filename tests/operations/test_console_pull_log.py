"""Real requests to the API make the pull log, and the console shows them: the gap left
on purpose, and the rows sent in the chart (operations.md section 8)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from rest_framework.test import APIClient

from operations.console import page_url
from tests.support.factories import PlayerFactory, at, issue_key

pytestmark = pytest.mark.django_db


def test_pulls_made_through_the_api_show_on_the_console_with_the_gap_left_on_purpose(admin_client):
    for minute in (5, 15, 45):
        PlayerFactory(modified_at=at(f"2026-11-30 10:{minute:02d}:00"))
    _, secret = issue_key("InTarget")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    hours = set()
    for start, end in [("10:00", "10:10"), ("10:10", "10:20"), ("10:40", "10:50")]:  # 10:20-10:40 skipped
        hours.add(dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:00"))
        response = api.get("/api/users", {"from": f"2026-11-30 {start}:00", "to": f"2026-11-30 {end}:00"})
        assert response.status_code == 200, response.content
        # Read to the end: the test client then closes the answer, which records it.
        b"".join(response.streaming_content)
    hours.add(dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:00"))

    body = admin_client.get(page_url("InTarget", "users")).content.decode()
    gaps = re.search(r'<table id="gaps">.*?</table>', body, re.S).group(0)
    assert re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", gaps) == [
        ("2026-11-30 10:20:00 UTC", "2026-11-30 10:40:00 UTC")
    ]
    # Pulled just now: one row in each window, counted in the hour it was sent.
    bars = re.findall(r'<rect class="bar"[^>]*><title>(.*?) UTC: (\d+) rows</title>', body)
    assert {hour for hour, _ in bars} <= hours
    assert sum(int(rows) for _, rows in bars) == 3
