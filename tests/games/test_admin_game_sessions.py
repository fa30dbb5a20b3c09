"""The admin's read-only list of game sessions, aggregated as the ``games`` feed serves them."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from games.selectors import game_sessions_in_window
from tests.support.factories import GameActionFactory, at

pytestmark = pytest.mark.django_db

LIST = "admin:games_gamesession_changelist"


@pytest.fixture
def sessions(db):
    GameActionFactory(id="a1", session_id="s1", action="bet", amount=Decimal("2.50"), created_at=at("2026-12-01 10:00:00"))
    GameActionFactory(id="a2", session_id="s1", action="win", amount=Decimal("7.25"), created_at=at("2026-12-01 10:05:00"))
    GameActionFactory(id="a3", session_id="s1", action="bet", amount=Decimal("1"), created_at=at("2026-12-01 10:07:30"))
    GameActionFactory(id="b1", session_id="s2", action="bet", amount=Decimal("5"), created_at=at("2026-12-01 11:00:00"))


def listed_rows(body: str) -> list[list[str]]:
    table = re.search(r'<table id="result_list">.*?</table>', body, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1], re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def test_each_session_is_one_row_with_the_feeds_aggregates_newest_first(admin_client, sessions):
    rows = listed_rows(admin_client.get(reverse(LIST)).content.decode())
    assert rows == [
        ["s2", "p1", "Book of Ra", "EUR", "1", "0", "5", "0", "2026-12-01 11:00:00 UTC", "2026-12-01 11:00:00 UTC"],
        ["s1", "p1", "Book of Ra", "EUR", "2", "1", "3.5", "7.25", "2026-12-01 10:00:00 UTC", "2026-12-01 10:07:30 UTC"],
    ]


def test_the_list_agrees_with_the_games_feed(admin_client, sessions):
    served = {row["session_id"]: row for row in game_sessions_in_window(None, None)}
    for session_id, _player, _game, _currency, bets, wins, *_ in listed_rows(admin_client.get(reverse(LIST)).content.decode()):
        assert (int(bets), int(wins)) == (served[session_id]["bet_count"], served[session_id]["win_count"])


def test_a_session_links_to_its_actions_and_cannot_be_edited(admin_client, sessions):
    body = admin_client.get(reverse(LIST)).content.decode()
    assert reverse("admin:games_gameaction_changelist") + "?session_id=s1" in body
    assert "Add game session" not in body
    assert admin_client.get(reverse("admin:games_gamesession_add")).status_code == 403


def test_sessions_are_found_by_session_id(admin_client, sessions):
    rows = listed_rows(admin_client.get(reverse(LIST), {"q": "s1"}).content.decode())
    assert [row[0] for row in rows] == ["s1"]


def test_sessions_drill_down_by_the_day_they_started(admin_client, sessions):
    day = {"created_at__year": 2026, "created_at__month": 12, "created_at__day": 1}
    rows = listed_rows(admin_client.get(reverse(LIST), day).content.decode())
    assert [row[0] for row in rows] == ["s2", "s1"]
    other_day = {**day, "created_at__day": 2}
    assert admin_client.get(reverse(LIST), other_day).context["cl"].result_count == 0
