"""Every ``migrate`` that leaves the database at the code's head ends with every trigger
the feeds' rows need in place (feeds/db_triggers.py, a post_migrate receiver): a set
lacking one is installed again, and says so; it works again at once. A database that
lacks nothing gets no DDL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from deletions.models import Tombstone
from feeds.db_triggers import Trigger, lacking
from games.models import GameSession
from players.models import Player
from sports.models import Bet
from tests.support.factories import BetFactory, GameActionFactory, PlayerFactory
from tests.support.schema import database_triggers, drop_trigger, migrate, trigger_errors

pytestmark = pytest.mark.django_db(transaction=True)  # DDL
postgresql = pytest.mark.postgresql

SESSION_INSERT = "session_insert" if connection.vendor == "postgresql" else "games_session_insert"
BET_GONE = "deletions_gone" if connection.vendor == "postgresql" else "deletions_sports_bet_gone"


@pytest.fixture(autouse=True)
def _installed_again():
    """Whatever a test leaves lacking, a migrate puts back for the next test."""
    yield
    if lacking(connection):
        migrate(verbosity=0)


def schema_version() -> object:
    """What changes with any DDL: SQLite counts schema changes; PostgreSQL's triggers are
    new rows of pg_trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT array_agg(oid ORDER BY oid) FROM pg_trigger")
        else:
            cursor.execute("PRAGMA schema_version")
        return cursor.fetchone()[0]


def test_a_dropped_deletions_trigger_is_installed_again_and_a_deletion_leaves_its_tombstone():
    drop_trigger(Trigger("sports_bet", BET_GONE))
    BetFactory(id="b1")
    Bet.objects.filter(id="b1").delete()
    assert not Tombstone.objects.exists()  # what a lost trigger does: nothing, silently
    output = migrate()
    assert f"Installed the deletions triggers again (deletions.triggers.install): sports_bet lacked {BET_GONE}" in output
    assert trigger_errors() == []
    BetFactory(id="b2")
    Bet.objects.filter(id="b2").delete()
    assert list(Tombstone.objects.values_list("feed", "row_id")) == [("bets", "b2")]


def test_a_dropped_session_trigger_is_installed_again_and_an_action_makes_its_session():
    drop_trigger(Trigger("games_gameaction", SESSION_INSERT))
    output = migrate()
    assert f"games_gameaction lacked {SESSION_INSERT}" in output
    GameActionFactory(id="a1", session_id="s1")
    assert list(GameSession.objects.values_list("session_id", "bet_count")) == [("s1", 1)]


@postgresql
def test_a_dropped_stamping_trigger_is_installed_again_and_a_write_is_stamped_by_the_clock():
    drop_trigger(Trigger("players_player", "stamp"))
    migrate(verbosity=0)
    PlayerFactory(id="p1")  # kept as given, in 2020
    with connection.cursor() as cursor:
        cursor.execute("UPDATE players_player SET city = 'Riga'")  # stamped by the trigger alone
    assert Player.objects.get().modified_at > dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


@postgresql
def test_a_disabled_trigger_is_enabled_again():
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE players_player DISABLE TRIGGER deletions_gone")
    assert "players_player lacked deletions_gone (disabled)" in migrate()
    assert trigger_errors() == []


def test_a_migrate_on_a_database_that_lacks_nothing_changes_no_trigger():
    before = schema_version()
    assert "Installed" not in migrate()
    assert schema_version() == before


def test_a_migrate_that_leaves_a_migration_unapplied_installs_nothing():
    """``migrate app 0003``, a rollback: the database is not at the code's head, which
    the triggers are made for; the next full migrate installs them."""
    drop_trigger(Trigger("sports_bet", BET_GONE))
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied("privacy", "0001_erasure")
    try:
        migrate(app_label="players")
        assert Trigger("sports_bet", BET_GONE) not in database_triggers()
    finally:
        recorder.record_applied("privacy", "0001_erasure")
    migrate(verbosity=0)
    assert Trigger("sports_bet", BET_GONE) in database_triggers()
