"""A migration that rebuilds ``games_gameaction`` (on SQLite, most AlterField: a new
table, the rows copied, the old one dropped, the new one renamed into place) loses no
session. SQLite refuses the rebuild while the deletions trigger on the sessions names
the actions' table (the migration fails and rolls back: nothing changed); a migration
that takes every trigger off first (``uninstall_every_set``) goes through, and ends
with them in place, by its own ``install_every_set`` or else by the end of the migrate
it runs in. PostgreSQL alters the table in place, under its triggers."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection, models

from deletions.models import Tombstone
from games.models import GameAction, GameSession
from tests.support.factories import GameActionFactory
from tests.support.schema import alter_field, field_altered, migrate, trigger_errors

pytestmark = pytest.mark.django_db(transaction=True)  # DDL
sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL never rebuilds a table")

VENDOR = GameAction._meta.get_field("game_vendor")


def as_varchar() -> models.Field:
    """An action's game_vendor from text to varchar(200), as an AlterField would make it."""
    field = models.CharField(max_length=200, null=True, blank=True)
    field.set_attributes_from_name("game_vendor")
    field.model = GameAction
    return field


def sessions() -> list[tuple[str, int]]:
    return list(GameSession.objects.order_by("session_id").values_list("session_id", "bet_count"))


def actions_make_sessions_and_leave_tombstones() -> None:
    GameActionFactory(id="a1", session_id="s1")
    GameActionFactory(id="a2", session_id="s1")
    assert sessions() == [("s1", 2)]
    GameAction.objects.all().delete()
    assert sessions() == []
    assert list(Tombstone.objects.values_list("feed", "row_id")) == [("games", "s1")]


@sqlite
def test_sqlite_refuses_the_rebuild_under_the_triggers_and_nothing_changes():
    GameActionFactory(id="a0", session_id="s0")
    with pytest.raises(OperationalError, match="games_session_resumed: no such table: main.games_gameaction"):
        alter_field(GameAction, VENDOR, as_varchar())
    assert trigger_errors() == []
    assert GameAction.objects.count() == 1 and sessions() == [("s0", 1)]


def test_a_migration_that_takes_the_triggers_off_around_the_rebuild_ends_with_them(request):
    GameActionFactory(id="a0", session_id="s0")
    alter_field(GameAction, VENDOR, as_varchar(), lifting=True, installing=True)
    request.addfinalizer(lambda: alter_field(GameAction, as_varchar(), VENDOR, lifting=True, installing=True))
    assert trigger_errors() == []
    assert sessions() == [("s0", 1)]  # kept through the rebuild
    GameAction.objects.all().delete()
    Tombstone.objects.all().delete()
    actions_make_sessions_and_leave_tombstones()


@sqlite
def test_without_putting_them_back_the_check_names_them_and_the_migrate_does():
    with field_altered(GameAction, "game_vendor", as_varchar(), lifting=True):
        lacking = [error.msg.split(":")[0] for error in trigger_errors()]
        assert "table 'games_gameaction' lacks the games sessions trigger(s) " \
            "games_session_insert, games_session_delete, games_session_update" in lacking
        assert any(line.startswith("table 'games_gamesession' lacks the deletions trigger(s)") for line in lacking)
        output = migrate()
        assert "Installed the games sessions triggers again (games.session_triggers.reinstall)" in output
        assert trigger_errors() == []
        actions_make_sessions_and_leave_tombstones()
