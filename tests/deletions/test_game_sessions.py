"""Game actions deleted (assurance.md section 15): a session that keeps some actions is
served again by games, with its new totals, in the window of the deletion; a session
left without actions goes from the feed and leaves a games tombstone of its session_id;
actions loaded into it again make it come back after that tombstone."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from deletions.models import Tombstone
from feeds.columns import format_timestamp
from feeds.stamping import preserve_timestamps
from games.models import GameAction, GameSession
from games.selectors import game_sessions_in_window
from tests.support.factories import GameActionFactory, at

pytestmark = pytest.mark.django_db

T0 = at("2020-10-10 07:00:00")


def session_at(session_id: str, moment: dt.datetime) -> dict | None:
    """The session as the games feed serves it in the minute around ``moment``."""
    start = moment.replace(microsecond=0) - dt.timedelta(seconds=30)
    rows = [row for row in game_sessions_in_window(start, start + dt.timedelta(minutes=1)) if row["session_id"] == session_id]
    return rows[0] if rows else None


def three_actions(session_id: str = "s1") -> None:
    for n, (kind, amount) in enumerate([("bet", "2"), ("win", "5"), ("bet", "3")]):
        GameActionFactory(id=f"{session_id}-a{n}", session_id=session_id, action=kind, amount=Decimal(amount),
                          created_at=T0 + dt.timedelta(minutes=n))


def test_a_session_that_keeps_actions_is_served_again_with_its_new_totals_and_leaves_no_tombstone():
    three_actions()
    assert session_at("s1", timezone.now()) is None  # its actions are from 2020
    GameAction.objects.filter(id="s1-a2").delete()
    again = session_at("s1", timezone.now())
    assert again is not None
    assert (again["bet_count"], again["win_count"], again["bet_amount"], again["win_amount"]) == (
        1, 1, Decimal("2"), Decimal("5"))
    # Where it was: a window timestamp never goes back (feeds.md section 1).
    assert again["updated_at"] == T0 + dt.timedelta(minutes=2)
    assert not Tombstone.objects.exists()


def test_a_session_whose_actions_all_go_leaves_a_games_tombstone_of_its_session_id():
    three_actions()
    three_actions("s2")
    GameAction.objects.filter(session_id="s1").delete()
    assert list(Tombstone.objects.values_list("feed", "row_id")) == [("games", "s1")]
    assert session_at("s1", timezone.now()) is None
    assert list(GameSession.objects.values_list("session_id", flat=True)) == ["s2"]


def test_an_action_moved_out_of_its_session_serves_the_old_session_again_or_leaves_its_tombstone():
    three_actions()
    GameActionFactory(id="b1", session_id="s2", created_at=T0)
    GameAction.objects.filter(id="s1-a0").update(session_id="s3")
    assert session_at("s1", timezone.now())["bet_count"] == 1
    GameAction.objects.filter(id="b1").update(session_id="s3")
    assert list(Tombstone.objects.values_list("feed", "row_id")) == [("games", "s2")]


def test_actions_loaded_again_into_an_emptied_session_bring_it_back_after_its_tombstone(tmp_path):
    three_actions()
    call_command("delete_rows", "games", "s1", stdout=io.StringIO())
    tombstone = Tombstone.objects.get()
    path = tmp_path / "actions.csv"
    path.write_text("id,session_id,player_id,game_name,currency,action,amount,created_at\n"
                    "s1-a0,s1,p1,G,EUR,bet,2,2020-10-10 07:00:00\n")
    call_command("import_feed", "game-actions", str(path), stdout=io.StringIO())
    back = session_at("s1", timezone.now())
    assert back is not None and back["bet_count"] == 1
    # Its last action is from 2020; as served, it still comes after its tombstone.
    assert format_timestamp(back["updated_at"]) > format_timestamp(tombstone.deleted_at)


def test_a_backfill_that_keeps_its_timestamps_revises_no_session_but_brings_one_back_after_its_tombstone():
    three_actions()
    with preserve_timestamps():
        GameAction.objects.filter(id="s1-a2").delete()
        GameActionFactory(id="s2-a0", session_id="s2", created_at=T0)
        GameAction.objects.filter(session_id="s2").delete()  # its tombstone: T0 + 1 s
        GameActionFactory(id="s2-a1", session_id="s2", created_at=T0)
    assert GameSession.objects.get(session_id="s1").revised_at is None
    # Not T0, its action's, which the backfill keeps: served after its tombstone
    # (assurance.md section 15), as any row inserted again after its deletion.
    assert GameSession.objects.get(session_id="s2").updated_at == T0 + dt.timedelta(seconds=2)


@pytest.mark.postgresql
def test_truncating_the_actions_leaves_a_tombstone_of_every_session():
    three_actions()
    three_actions("s2")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE games_gameaction")
    assert sorted(Tombstone.objects.values_list("row_id", flat=True)) == ["s1", "s2"]
