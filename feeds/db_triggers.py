"""The database triggers the feeds' rows need, kept in place: what a set of triggers is,
which the database lacks, and their re-installation at the end of every ``migrate``.

Three sets, each installed by migrations and owned by the app whose module makes it:
the stamping of change times (``feeds/db_stamping.py``, PostgreSQL), the games sessions
(``games/session_triggers.py``), the tombstones (``deletions/triggers.py``). Each app
registers its set in its ``AppConfig.ready`` (``register``); this module imports none
of them.

A trigger belongs to its table: on SQLite, a migration that rebuilds the table (Django's
schema editor makes a new table, copies the rows and drops the old one, for most
``AlterField``) drops its triggers with it, silently, and TEMP triggers of the
connection that rebuilt it too. Without a trigger rows are never stamped or deletions
never served: rows lost, with no error anywhere. So:

- ``reinstall_lacking``, a ``post_migrate`` receiver (``FeedsConfig.ready``), runs once
  at the end of every ``migrate`` that leaves the database at the code's head, and
  installs again each set the database lacks a trigger of, once its tables exist. Each
  set's ``install`` is idempotent (``CREATE OR REPLACE``, ``DROP … IF EXISTS`` first).
  A database that lacks nothing gets no DDL: a ``migrate`` takes no lock on a feed's
  table for nothing, and one that makes a test database pays about 40 ms (the code's
  migration graph, read once per process, and three small queries).
- ``check_triggers`` (``feeds/checks.py``) reports what a database at the code's head
  lacks (``manage.py check --database default``).

What neither can do: give back what a table lost while it lacked a trigger (rows written
unstamped, deletions without their tombstone, actions not summed into their session),
nor cover a migration that, in the same ``migrate``, rebuilds a table and then writes or
deletes its rows (a data migration): the sets are installed again only at the end. Such a
migration runs ``install_every_set`` itself, after the rebuild (docs/deletions.md).

Some tables SQLite cannot rebuild at all while the triggers are on: a trigger of another
table names them (``games_gameaction``, ``games_gamesession``, ``deletions_tombstone``),
and SQLite refuses to rename the new table into place ("error in trigger …: no such
table"; the migration rolls back, nothing lost). A migration that rebuilds one runs
``uninstall_every_set`` before the change and ``install_every_set`` after it, in the same
migration: one transaction, so that no write between them goes unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.apps import apps as django_apps
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from lib.migration_state import unapplied_migrations


class Trigger(NamedTuple):
    table: str
    name: str
    # SQLite: a TEMP trigger, which each of the service's connections makes for itself
    # (deletions/triggers.py); what the database shows is the connection's own.
    temp: bool = False


@dataclass(frozen=True)
class TriggerSet:
    """Triggers that one migration installs and one function installs again."""

    # How messages name it: "deletions".
    name: str
    # What a table lacking one loses, said of the table: "rows deleted from it leave no tombstone".
    loss: str
    # The triggers on each database (by connection.vendor): none where the set does not apply.
    triggers: Callable[[str], tuple[Trigger, ...]]
    # (apps, schema_editor), as a migration's RunPython calls it; idempotent.
    install: Callable[[Any, Any], None]
    # The same, taking the triggers off (and nothing else: rows stay).
    uninstall: Callable[[Any, Any], None]
    # Other tables the triggers read or write, which must exist before they can work.
    uses: tuple[str, ...] = ()

    def tables(self, vendor: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*(t.table for t in self.triggers(vendor)), *self.uses]))

    @property
    def installer(self) -> str:
        return f"{self.install.__module__}.{self.install.__name__}"


_SETS: dict[str, TriggerSet] = {}


def register(trigger_set: TriggerSet) -> None:
    """From the owning app's ``AppConfig.ready``; again under the same name, the newer wins."""
    _SETS[trigger_set.name] = trigger_set


def registered() -> tuple[TriggerSet, ...]:
    return tuple(_SETS.values())


def uninstall_every_set(apps: Any, schema_editor: Any) -> None:
    """For a migration's RunPython, before a change SQLite cannot make under the
    triggers (see above); ``install_every_set`` after it, in the same migration."""
    for trigger_set in reversed(registered()):
        trigger_set.uninstall(apps, schema_editor)


def install_every_set(apps: Any, schema_editor: Any) -> None:
    for trigger_set in registered():
        trigger_set.install(apps, schema_editor)


@dataclass(frozen=True)
class Lack:
    """What one table lacks of one set: its triggers, or itself."""

    trigger_set: TriggerSet
    table: str
    missing: tuple[str, ...] = ()
    # PostgreSQL: there, but disabled (ALTER TABLE … DISABLE TRIGGER, or firing only in
    # replica mode): a trigger that does not fire loses rows as surely.
    disabled: tuple[str, ...] = ()
    no_table: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return self.missing + tuple(f"{name} (disabled)" for name in self.disabled)

    def __str__(self) -> str:
        name = self.trigger_set.name
        if self.no_table:
            return f"table {self.table!r}, which the {name} triggers need, does not exist"
        parts = []
        if self.missing:
            parts.append(f"lacks the {name} trigger(s) {', '.join(self.missing)}")
        if self.disabled:
            parts.append(f"has the {name} trigger(s) {', '.join(self.disabled)} disabled")
        return f"table {self.table!r} {' and '.join(parts)}: {self.trigger_set.loss}"


# Every trigger on the named tables (the search path's, on PostgreSQL) and whether it fires.
_PG_TRIGGERS = """
SELECT c.relname, t.tgname, false, t.tgenabled IN ('O', 'A')
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND c.relname = ANY(%s) AND pg_table_is_visible(c.oid)
"""
_SQLITE_TRIGGERS = """
SELECT tbl_name, name, 0, 1 FROM sqlite_master WHERE type = 'trigger'
UNION ALL SELECT tbl_name, name, 1, 1 FROM sqlite_temp_master WHERE type = 'trigger'
"""


def _database_triggers(connection: BaseDatabaseWrapper, tables: list[str]) -> dict[Trigger, bool]:
    """Each trigger the database has on ``tables``: whether it fires."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_TRIGGERS, [tables])
        else:
            cursor.execute(_SQLITE_TRIGGERS)
        return {Trigger(table, name, bool(temp)): bool(fires) for table, name, temp, fires in cursor.fetchall()}


def lacking(connection: BaseDatabaseWrapper, sets: Iterable[TriggerSet] | None = None) -> list[Lack]:
    """What the database of ``connection`` lacks of ``sets`` (every registered set): one
    ``Lack`` per set and table. Two catalog queries."""
    sets = registered() if sets is None else tuple(sets)
    wanted = {t_set.name: t_set.triggers(connection.vendor) for t_set in sets}
    tables = sorted({table for t_set in sets for table in t_set.tables(connection.vendor)})
    if not tables:
        return []
    existing = set(connection.introspection.table_names())
    there = _database_triggers(connection, tables)
    lacks = []
    for t_set in sets:
        for table in t_set.tables(connection.vendor):
            if table not in existing:
                lacks.append(Lack(t_set, table, no_table=True))
                continue
            mine = [t for t in wanted[t_set.name] if t.table == table]
            missing = tuple(t.name for t in mine if t not in there)
            disabled = tuple(t.name for t in mine if there.get(t) is False)
            if missing or disabled:
                lacks.append(Lack(t_set, table, missing, disabled))
    return lacks


def at_head(connection: BaseDatabaseWrapper) -> bool:
    """Every migration of the code is applied: the schema the sets' triggers are made for."""
    return not unapplied_migrations(connection)


def reinstall_lacking(
    sender: Any, *, using: str, apps: Any = None, plan: Any = None, verbosity: int = 1, stdout: Any = None,
    **kwargs: Any,
) -> None:
    """``post_migrate``, once per ``migrate`` (FeedsConfig.ready connects it to the last
    app Django sends it for): install again each set the database lacks a trigger of.

    Not after a ``flush`` (Django sends it there too, without a plan, after every
    transactional test): a flush empties tables and drops no trigger. Not while a
    migration is unapplied (``migrate app 0003``, a rollback): the sets are made for the
    code's head, and a migration that unapplies one (its reverse uninstalls it) is meant.
    A set one of whose tables does not exist is left to the check, which names it.
    """
    if plan is None:
        return
    connection = connections[using]
    if not at_head(connection):
        return
    by_set: dict[str, list[Lack]] = {}
    for lack in lacking(connection):
        by_set.setdefault(lack.trigger_set.name, []).append(lack)
    for lacks in by_set.values():
        if any(lack.no_table for lack in lacks):
            continue
        trigger_set = lacks[0].trigger_set
        with connection.schema_editor() as editor:
            trigger_set.install(apps, editor)
        if verbosity >= 1 and stdout is not None:
            # Said, not silent: a trigger lost before this migrate (not by a rebuild in
            # it) lost rows meanwhile, which someone should look for.
            for lack in lacks:
                stdout.write(
                    f"  Installed the {trigger_set.name} triggers again ({trigger_set.installer}): "
                    f"{lack.table} lacked {', '.join(lack.names)}"
                )


def last_migrated_app() -> Any:
    """The app ``post_migrate`` is sent for last (in INSTALLED_APPS order, apps with models)."""
    return [config for config in django_apps.get_app_configs() if config.models_module is not None][-1]
