"""A games session's updated_at, its window timestamp, never goes back (feeds.md section 1:
"any change to a row moves it forward (or leaves it equal), never back"): a session that
loses its last action (deleted, moved to another session) or whose last action is moved
earlier keeps the updated_at it had. It is served again with its new totals (its
revised_at, in the window of the change) at that updated_at, so the digest places it
where a consumer that pulled every window holds it. A later action still moves it on."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from games.models import GameAction, GameSession
from tests.support.api import get
from tests.support.clock import closed_window, stamping_span
from tests.support.digests import expected, held
from tests.support.factories import GameActionFactory, at
from tests.support.pg import raw_connection

pytestmark = pytest.mark.django_db

HOUR = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}
ACTIONS = [
    {"id": "x1", "session_id": "sx", "player_id": "p1", "game_name": "G", "currency": "EUR", "action": "bet",
     "amount": "2", "created_at": "2020-10-10 07:05:00"},
    {"id": "x2", "session_id": "sx", "player_id": "p1", "game_name": "G", "currency": "EUR", "action": "win",
     "amount": "5", "created_at": "2020-10-10 07:06:00"},
]


def updated_at(session_id: str = "sx"):
    return GameSession.objects.get(session_id=session_id).updated_at


def sessions(body: bytes) -> dict[str, dict[str, str]]:
    return held(body, "games")


def test_deleting_the_last_action_serves_the_session_again_at_the_updated_at_it_had(client_with_key, tmp_path):
    """The audit's reproduction: before, sx came back at 07:05:00 and its digest moved it
    from [07:06, 07:07) to [07:05, 07:06), where the consumer holds nothing."""
    path = tmp_path / "actions.json"
    path.write_text(json.dumps(ACTIONS))
    call_command("import_feed", "game-actions", str(path), "--preserve-timestamps", stdout=io.StringIO())
    first = get(client_with_key, "games", **HOUR)
    assert sessions(first)["sx"]["updated_at"] == "2020-10-10 07:06:00"
    with stamping_span() as span:
        call_command("delete_rows", "game-actions", "x2", stdout=io.StringIO())
    again = get(client_with_key, "games", **closed_window(span))
    row = sessions(again)["sx"]
    assert (row["updated_at"], row["bet_count"], row["win_count"], row["win_amount"]) == (
        "2020-10-10 07:06:00", "1", "0", "0")
    # A consumer that applied both windows in order holds sx where the digest counts it.
    consumer = {**sessions(first), **sessions(again)}
    response = client_with_key.get("/api/games/digest", {**HOUR, "step": "1m"})
    assert response.status_code == 200, response.content
    parts = {part["from"]: part for part in response.json()["parts"]}
    minutes = [("2020-10-10 07:05:00", "2020-10-10 07:06:00"), ("2020-10-10 07:06:00", "2020-10-10 07:07:00")]
    for start, end in minutes:
        assert (parts[start]["rows"], parts[start]["checksum"]) == expected(consumer, "games", start, end)
    assert parts["2020-10-10 07:06:00"]["rows"] == 1


def test_an_action_moved_earlier_or_to_another_session_leaves_updated_at_where_it_was():
    GameActionFactory(id="a1", session_id="s1", created_at=at("2020-10-10 07:05:00"))
    GameActionFactory(id="a2", session_id="s1", created_at=at("2020-10-10 07:06:00"))
    GameActionFactory(id="a3", session_id="s1", created_at=at("2020-10-10 07:07:00.5"))
    GameAction.objects.filter(id="a3").update(created_at=at("2020-10-10 07:00:00"))
    assert updated_at("s1") == at("2020-10-10 07:07:00.5")
    GameAction.objects.filter(id="a2").update(session_id="s2")
    assert updated_at("s1") == at("2020-10-10 07:07:00.5")
    assert updated_at("s2") == at("2020-10-10 07:06:00")
    # The totals are its actions' now: a1 and a3.
    assert GameSession.objects.filter(session_id="s1").values_list("bet_count", "first_action_id")[0] == (2, "a3")


def test_a_later_action_still_moves_it_forward():
    GameActionFactory(id="a1", session_id="s1", created_at=at("2020-10-10 07:05:00"))
    GameActionFactory(id="a2", session_id="s1", created_at=at("2020-10-10 07:06:00"))
    GameAction.objects.filter(id="a2").delete()
    GameActionFactory(id="a3", session_id="s1", created_at=at("2020-10-10 07:10:00"))
    assert updated_at("s1") == at("2020-10-10 07:10:00")
    GameAction.objects.filter(id="a3").update(created_at=at("2020-10-10 07:11:00"))
    assert updated_at("s1") == at("2020-10-10 07:11:00")


def test_a_window_its_updated_at_lies_in_but_none_of_its_actions_does_not_serve_it(client_with_key):
    """Selection stays feeds.md's (an action in the window), on both databases: the kept
    updated_at is no action's time."""
    GameActionFactory(id="a1", session_id="s1", created_at=at("2020-10-10 07:05:00"), recorded_at=at("2020-10-10 07:05:00"))
    GameActionFactory(id="a2", session_id="s1", created_at=at("2020-10-10 07:06:00"), recorded_at=at("2020-10-10 07:06:00"))
    GameAction.objects.filter(id="a2").delete()
    assert updated_at("s1") == at("2020-10-10 07:06:00")
    assert sessions(get(client_with_key, "games", **{"from": "2020-10-10 07:06:00", "to": "2020-10-10 07:07:00"})) == {}
    assert list(sessions(get(client_with_key, "games", **{"from": "2020-10-10 07:05:00", "to": "2020-10-10 07:06:00"}))) == ["s1"]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_plain_sql_that_deletes_the_last_action_leaves_updated_at_where_it_was():
    GameActionFactory(id="x1", session_id="sx", amount=Decimal("2"), created_at=at("2020-10-10 07:05:00"))
    GameActionFactory(id="x2", session_id="sx", action="win", created_at=at("2020-10-10 07:06:00"))
    with raw_connection(autocommit=True) as other:
        other.execute("DELETE FROM games_gameaction WHERE id = 'x2'")
    session = GameSession.objects.get(session_id="sx")
    assert (session.updated_at, session.win_count) == (at("2020-10-10 07:06:00"), 0)
    assert session.revised_at is not None  # served again, with its new totals
