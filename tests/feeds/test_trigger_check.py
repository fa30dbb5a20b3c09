"""``manage.py check --database default`` (intarget_export.E015) names every trigger the
feeds' rows need that the database lacks or has disabled, with its table and what to
run, on both databases. It says nothing on a database a migrate is about to change (never
migrated, or a migration to apply), so that it never stops the migrate that installs
them: Django 5.2's migrate runs the database checks before it migrates."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from deletions.triggers import TRACKED
from feeds.db_triggers import Trigger, lacking, registered
from tests.support.schema import database_triggers, drop_trigger, migrate, trigger_errors
from tests.support.servers import run_manage, service_env

pytestmark = pytest.mark.django_db(transaction=True)  # DDL, and the migrate that undoes it
postgresql = pytest.mark.postgresql

# A trigger of each set, on each database, by its set's name (stamping has none on
# SQLite: the service stamps there).
DROPPED = {
    "postgresql": [
        ("stamping", Trigger("payments_wallet", "stamp")),
        ("games sessions", Trigger("games_gameaction", "session_delete")),
        ("deletions", Trigger("sports_bet", "deletions_gone")),
    ],
    "sqlite": [
        ("games sessions", Trigger("games_gameaction", "games_session_delete")),
        ("deletions", Trigger("sports_bet", "deletions_sports_bet_gone")),
        # This connection's own (every connection of the service makes them).
        ("deletions", Trigger("sports_bet", "deletions_sports_bet_back", temp=True)),
    ],
}


@pytest.fixture
def installed_again():
    """Whatever a test drops, a migrate puts back for the next test."""
    yield
    if lacking(connection):
        migrate(verbosity=0)


def expected(vendor: str) -> set[Trigger]:
    return {trigger for trigger_set in registered() for trigger in trigger_set.triggers(vendor)}


def test_a_migrated_database_has_every_expected_trigger_and_passes():
    """The sets' lists are the triggers the migrations made, no fewer and no more."""
    tables = {table for trigger_set in registered() for table in trigger_set.tables(connection.vendor)}
    assert {t for t in database_triggers() if t.table in tables} == expected(connection.vendor)
    assert {t.table for t in TRACKED} <= tables
    assert trigger_errors() == []


def dropped(set_name: str) -> Trigger:
    return next(trigger for name, trigger in DROPPED[connection.vendor] if name == set_name)


@pytest.mark.parametrize(
    ("set_name", "trigger"), DROPPED[connection.vendor], ids=[trigger.name for _, trigger in DROPPED[connection.vendor]]
)
def test_a_trigger_dropped_by_hand_is_named_with_its_table_and_what_to_run(set_name, trigger, installed_again):
    drop_trigger(trigger)
    [error] = trigger_errors()
    assert error.id == "intarget_export.E015"
    assert f"table {trigger.table!r} lacks the {set_name} trigger(s) {trigger.name}:" in error.msg
    assert "manage.py migrate --skip-checks" in error.hint
    # The command itself fails, and so does a plain migrate with nothing to apply.
    with pytest.raises(SystemCheckError, match=f"E015.*{trigger.name}"):
        call_command("check", "--database", "default")
    with pytest.raises(SystemCheckError, match=f"E015.*{trigger.name}"):
        migrate(skip_checks=False)


@postgresql
def test_a_disabled_trigger_is_named_as_disabled(installed_again):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE players_login DISABLE TRIGGER deletions_gone")
    [error] = trigger_errors()
    assert "table 'players_login' has the deletions trigger(s) deletions_gone disabled" in error.msg


def test_nothing_is_said_while_a_migration_is_unapplied(installed_again):
    """A migrate is about to run, and its last step installs what is lacking."""
    drop_trigger(dropped("deletions"))
    recorder = MigrationRecorder(connection)
    recorder.record_unapplied("privacy", "0001_erasure")
    try:
        assert trigger_errors() == []
    finally:
        recorder.record_applied("privacy", "0001_erasure")
    assert len(trigger_errors()) == 1


def test_a_migrate_that_installs_a_set_is_not_stopped_by_its_absence(installed_again):
    """An upgrade whose pending migration installs triggers: Django's migrate runs the
    database checks first (skip_checks=False, as manage.py runs it), and they let it by;
    a set lacking a trigger meanwhile is installed again at its end."""
    migrate(app_label="deletions", migration_name="zero", verbosity=0)
    assert not any(t.name.startswith("deletions_") for t in database_triggers())
    drop_trigger(dropped("games sessions"))
    assert trigger_errors() == []
    output = migrate(skip_checks=False)
    assert "Applying deletions.0001_initial... OK" in output
    assert "Installed the games sessions triggers again" in output
    assert trigger_errors() == []


@pytest.mark.engine_independent
def test_a_database_never_migrated_passes_the_check(tmp_path):
    done = run_manage(service_env(tmp_path), "check", "--database", "default")
    assert done.returncode == 0, done.stderr
