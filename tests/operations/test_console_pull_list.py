"""The pull log in the admin (Operations › Pulls): a tick only where a body was served
whole, a cross where it was cut off, a dash for a refusal or a failure; one window
column, short durations and sizes, long names cut short, so that it fits a 1400 px
screen (its width in a real browser: test_browser_console.py)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.support.factories import PullFactory, at

pytestmark = pytest.mark.django_db

PULLS = reverse("admin:operations_pull_changelist")
LONG_KEY = "InTarget production puller (eu-west-1)"
IPV6 = "2001:db8:85a3::8a2e:370:7334"


def listed(admin_client, **params) -> dict[str, list[str]]:
    """Each line of the list by its key name's text: its cells' HTML (0 is the checkbox)."""
    body = admin_client.get(PULLS, params).content.decode()
    table = re.search(r'<table id="result_list">.*?</table>', body, re.S).group(0)
    lines = {}
    for line in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", line, re.S)
        lines[re.sub(r"<[^>]+>", "", cells[2]).strip()] = cells
    return lines


def body_cell(cells: list[str]) -> str:
    return cells[11]


@pytest.mark.parametrize(
    "status, complete, shown",
    [
        (200, True, '<img src="/static/admin/img/icon-yes.svg" alt="served whole" title="served whole">'),
        (200, False, '<img src="/static/admin/img/icon-no.svg" alt="cut off before the end" title="cut off before the end">'),
        (403, True, '<span title="refused or failed (403): no rows served">-</span>'),
        (404, True, '<span title="refused or failed (404): no rows served">-</span>'),
        (503, False, '<span title="refused or failed (503): no rows served">-</span>'),
    ],
)
def test_the_tick_means_a_body_served_whole_and_nothing_else(admin_client, status, complete, shown):
    PullFactory(key_name="k", status=status, complete=complete)
    assert body_cell(listed(admin_client)["k"]) == shown


def test_the_list_filters_by_how_the_body_went(admin_client):
    PullFactory(key_name="whole")
    PullFactory(key_name="cut", complete=False)
    PullFactory(key_name="refused", status=403)
    PullFactory(key_name="failed", status=503, complete=False)
    assert set(listed(admin_client, served="whole")) == {"whole"}
    assert set(listed(admin_client, served="cut")) == {"cut"}
    assert set(listed(admin_client, served="refused")) == {"refused", "failed"}


def test_the_window_is_one_column_and_long_values_are_short_with_the_whole_in_a_title(admin_client):
    PullFactory(
        key_name=LONG_KEY, client=IPV6, started_at=at("2026-12-01 11:00:02"),
        window_from=at("2026-12-01 10:00:00"), window_to=at("2026-12-01 11:00:00"),
        bytes=12_345_678, duration_ms=125_400,
    )
    cells = listed(admin_client)[f"{LONG_KEY[:31]}…"]
    assert cells[2] == f'<span title="{LONG_KEY}">{LONG_KEY[:31]}…</span>'
    assert cells[4] == (
        '<span class="window" title="from 2026-12-01 10:00:00 to 2026-12-01 11:00:00 UTC">'
        "2026-12-01\N{NO-BREAK SPACE}10:00:00<br>→ 11:00:00</span>"
    )
    assert cells[8] == '<span title="12,345,678 bytes">12.3\N{NO-BREAK SPACE}MB</span>'
    assert cells[9] == '<span title="125,400 ms">2\N{NO-BREAK SPACE}min 05\N{NO-BREAK SPACE}s</span>'
    assert cells[10] == "2001:<wbr>db8:<wbr>85a3:<wbr>:<wbr>8a2e:<wbr>370:<wbr>7334"


def test_a_window_over_midnight_keeps_both_dates_and_a_refused_one_shows_as_sent(admin_client):
    PullFactory(key_name="night", window_from=at("2026-11-30 23:00:00"), window_to=at("2026-12-01 01:00:00"))
    PullFactory(key_name="refused", status=400, window_from=None, window_to=None, from_sent="yesterday", to_sent="")
    lines = listed(admin_client)
    assert "2026-11-30\N{NO-BREAK SPACE}23:00:00<br>→ 2026-12-01\N{NO-BREAK SPACE}01:00:00" in lines["night"][4]
    assert lines["refused"][4] == '<span title="as the request sent them">yesterday<br>→ … (as sent)</span>'
