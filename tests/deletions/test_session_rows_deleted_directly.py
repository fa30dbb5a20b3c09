"""A games session's row deleted directly from ``games_gamesession``, the table the games
feed serves (plain SQL: a DELETE on either database through the service's connections,
any program's DELETE or TRUNCATE on PostgreSQL), leaves a games tombstone (assurance.md
section 15: "by any path"), exactly once, dated by the rules of every tombstone; its
actions stay, and the session made again by its next action is whole and dated after
the tombstone. A session whose last action goes leaves one tombstone, as before."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from deletions import triggers as deletion_triggers
from deletions.models import Tombstone
from feeds.columns import format_timestamp
from feeds.db_triggers import Trigger
from feeds.stamping import clock, preserve_timestamps
from games.models import GameAction, GameSession
from tests.support.factories import GameActionFactory, at
from tests.support.pg import raw_connection
from tests.support.schema import database_triggers

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.postgresql


def two_sessions() -> None:
    GameActionFactory(id="a1", session_id="s1", amount=Decimal("2"), created_at=at("2020-10-10 07:05:00"))
    GameActionFactory(id="a2", session_id="s1", action="win", amount=Decimal("5"), created_at=at("2020-10-10 07:06:00"))
    GameActionFactory(id="b1", session_id="s2", created_at=at("2020-10-10 07:07:00"))


def tombstones() -> list[tuple[str, str]]:
    return sorted(Tombstone.objects.values_list("feed", "row_id"))


def plain_sql(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def test_deleting_a_session_s_row_leaves_one_tombstone_dated_by_the_clock_and_keeps_its_actions():
    two_sessions()
    before = clock()
    plain_sql("DELETE FROM games_gamesession WHERE session_id = 's1'")
    assert tombstones() == [("games", "s1")]
    assert Tombstone.objects.get().deleted_at >= before - dt.timedelta(milliseconds=1)
    assert list(GameSession.objects.values_list("session_id", flat=True)) == ["s2"]
    assert GameAction.objects.filter(session_id="s1").count() == 2


def test_a_session_whose_last_action_goes_leaves_exactly_one_tombstone():
    two_sessions()
    GameAction.objects.filter(session_id="s1").delete()
    GameAction.objects.filter(id="b1").update(session_id="s3")  # s2 emptied by a move
    assert tombstones() == [("games", "s1"), ("games", "s2")]


def test_the_session_made_again_by_its_next_action_is_whole_and_dated_after_the_tombstone():
    two_sessions()
    plain_sql("DELETE FROM games_gamesession WHERE session_id = 's1'")
    tombstone = Tombstone.objects.get()
    GameActionFactory(id="a3", session_id="s1", amount=Decimal("3"), created_at=at("2020-10-10 07:08:00"))
    session = GameSession.objects.get(session_id="s1")
    # Every action of it, the two kept and the new one, as on PostgreSQL.
    assert (session.first_action_id, session.bet_count, session.win_count, session.bet_amount, session.win_amount) == (
        "a1", 2, 1, Decimal("5"), Decimal("5"))
    assert format_timestamp(session.updated_at) > format_timestamp(tombstone.deleted_at)


def test_a_session_made_again_by_the_deletion_of_one_of_its_actions_is_dated_after_the_tombstone():
    two_sessions()
    plain_sql("DELETE FROM games_gamesession WHERE session_id = 's1'")
    tombstone = Tombstone.objects.get()
    GameAction.objects.filter(id="a2").delete()
    session = GameSession.objects.get(session_id="s1")
    assert (session.bet_count, session.win_count) == (1, 0)
    assert format_timestamp(session.updated_at) > format_timestamp(tombstone.deleted_at)
    assert tombstones() == [("games", "s1")]


def test_in_a_block_that_keeps_its_timestamps_the_tombstone_is_dated_the_second_after_the_session():
    two_sessions()
    with preserve_timestamps():
        plain_sql("DELETE FROM games_gamesession WHERE session_id = 's1'")
    assert Tombstone.objects.get().deleted_at == at("2020-10-10 07:06:01")


@postgresql
@pytest.mark.django_db(transaction=True)
def test_any_program_s_delete_or_truncate_of_the_sessions_leaves_one_tombstone_each():
    two_sessions()
    GameActionFactory(id="c1", session_id="s3")
    with raw_connection(autocommit=True) as other:
        other.execute("DELETE FROM games_gamesession WHERE session_id = 's1'")
        assert tombstones() == [("games", "s1")]
        other.execute("TRUNCATE games_gamesession")
        assert tombstones() == [("games", "s1"), ("games", "s2"), ("games", "s3")]
        assert GameAction.objects.count() == 4
        # A change of s1's actions makes it again; then both tables at once: its
        # tombstone, once.
        other.execute("UPDATE games_gameaction SET amount = 7 WHERE id = 'a1'")
        other.execute("TRUNCATE games_gameaction, games_gamesession")
    assert tombstones() == [("games", "s1")] * 2 + [("games", "s2"), ("games", "s3")]
    assert not GameSession.objects.exists()


@postgresql
def test_the_trigger_check_knows_the_sessions_truncate_trigger():
    truncated = Trigger("games_gamesession", "deletions_truncated")
    assert truncated in deletion_triggers.TRIGGER_SET.triggers("postgresql")
    assert truncated in database_triggers()
