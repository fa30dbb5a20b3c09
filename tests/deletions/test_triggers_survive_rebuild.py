"""A migration that rebuilds a served feed's table (on SQLite, Django's schema editor
makes most AlterField a new table, its rows copied, the old one dropped) drops the
table's tombstone triggers with it, and this connection's TEMP ones: the check names
them, and the migrate it runs in ends with them in place again, so that a deletion
leaves its tombstone and a row inserted again moves past it. PostgreSQL alters the table
in place and keeps them."""

from __future__ import annotations

import pytest
from django.db import connection, models
from django.utils import timezone

from deletions.models import Tombstone
from players.models import Player
from tests.support.factories import PlayerFactory
from tests.support.schema import database_triggers, field_altered, migrate, trigger_errors

pytestmark = pytest.mark.django_db(transaction=True)  # DDL

SQLITE_LOST = [
    "deletions_players_player_gone", "deletions_players_player_renamed",  # the database's
    "deletions_players_player_back", "deletions_players_player_kept",  # this connection's (TEMP)
]


def on_players() -> set[str]:
    return {trigger.name for trigger in database_triggers() if trigger.table == "players_player"}


@pytest.fixture
def city_rebuilt():
    """An AlterField of users' city (text to varchar(200)), as a migration would run it."""
    with field_altered(Player, "city", models.CharField(max_length=200, null=True, blank=True)):
        yield


def test_an_alter_field_that_rebuilds_the_table_drops_its_triggers_and_the_check_names_them(city_rebuilt):
    if connection.vendor == "postgresql":
        assert trigger_errors() == []
        return
    assert not on_players() & set(SQLITE_LOST)
    [error] = trigger_errors()
    assert error.msg.startswith(f"table 'players_player' lacks the deletions trigger(s) {', '.join(SQLITE_LOST)}:")
    # What it costs until a migrate: a deletion nobody will be told of.
    PlayerFactory(id="p1")
    Player.objects.filter(id="p1").delete()
    assert not Tombstone.objects.exists()


def test_the_migrate_that_rebuilt_it_ends_with_every_trigger_and_deletions_are_served_again(city_rebuilt):
    output = migrate()
    if connection.vendor == "sqlite":
        assert "Installed the deletions triggers again (deletions.triggers.install): players_player lacked" in output
    assert trigger_errors() == []
    Player.objects.create(id="p1", registered_at=timezone.now(), modified_at=timezone.now())
    Player.objects.filter(id="p1").delete()
    tombstone = Tombstone.objects.get()
    assert (tombstone.feed, tombstone.row_id) == ("users", "p1")
    # Inserted again at once: stamped after its tombstone (a TEMP trigger on SQLite).
    again = Player.objects.create(id="p1", registered_at=timezone.now(), modified_at=timezone.now())
    again.refresh_from_db()
    assert again.modified_at.replace(microsecond=0) > tombstone.deleted_at.replace(microsecond=0)
