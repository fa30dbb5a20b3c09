"""The test database's triggers, and changes to its schema made as a migration makes them
(tests using them commit DDL: ``django_db(transaction=True)``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from django.core import checks
from django.core.management import call_command
from django.db import connection, models

from feeds.checks import check_triggers
from feeds.db_triggers import Trigger, install_every_set, uninstall_every_set

_PG = """
SELECT c.relname, t.tgname, false FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid)
"""
_SQLITE = """
SELECT tbl_name, name, 0 FROM sqlite_master WHERE type = 'trigger'
UNION ALL SELECT tbl_name, name, 1 FROM sqlite_temp_master WHERE type = 'trigger'
"""


def database_triggers() -> set[Trigger]:
    """Every trigger of the database (SQLite: with this connection's TEMP ones)."""
    with connection.cursor() as cursor:
        cursor.execute(_PG if connection.vendor == "postgresql" else _SQLITE)
        return {Trigger(table, name, bool(temp)) for table, name, temp in cursor.fetchall()}


def drop_trigger(trigger: Trigger) -> None:
    """As someone would by hand."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER {trigger.name} ON {trigger.table}")
        else:
            cursor.execute(f"DROP TRIGGER {'temp.' if trigger.temp else ''}{trigger.name}")


def trigger_errors() -> list[checks.CheckMessage]:
    """What ``manage.py check --database default`` says of the triggers."""
    return check_triggers(databases=["default"])


def migrate(**options: object) -> str:
    """``manage.py migrate`` (checks skipped unless ``skip_checks=False``); its output."""
    out = io.StringIO()
    call_command("migrate", stdout=out, **options)
    return out.getvalue()


def alter_field(
    model: type[models.Model], old: models.Field, new: models.Field, *, lifting: bool = False, installing: bool = False
) -> None:
    """What a migration's ``AlterField`` does to the database (its database_forwards):
    on SQLite, for most changes, the table made anew and its rows copied. ``lifting``:
    the triggers taken off first, ``installing``: put back after, in the same migration
    (feeds/db_triggers.py says when a migration needs them)."""
    with connection.schema_editor() as editor:
        if lifting:
            uninstall_every_set(None, editor)
        editor.alter_field(model, old, new, strict=True)
        if installing:
            install_every_set(None, editor)


@contextmanager
def field_altered(model: type[models.Model], name: str, new: models.Field, *, lifting: bool = False) -> Iterator[None]:
    """The field ``name`` of ``model`` altered to ``new`` for the block (see
    ``alter_field``), then back, with every trigger in place again."""
    old = model._meta.get_field(name)
    new.set_attributes_from_name(name)
    new.model = model
    alter_field(model, old, new, lifting=lifting)
    try:
        yield
    finally:
        alter_field(model, new, old, lifting=True, installing=True)
