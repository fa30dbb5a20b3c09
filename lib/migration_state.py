"""Which of the code's migrations a database has not applied: the readiness probe's
question (operations/probes.py), and whether a database is at the code's head, where its
triggers belong (feeds/db_triggers.py)."""

from __future__ import annotations

from functools import cache

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.recorder import MigrationRecorder


@cache
def code_migrations() -> dict[tuple[str, str], Migration]:
    """Every migration the code has, a squashed one in place of those it replaces. Read
    from disk once: the code does not change under a running process."""
    return dict(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def unapplied_migrations(connection: BaseDatabaseWrapper) -> list[str]:
    """``app.name`` of each migration of the code that the database has not applied
    (every one, on a database that has no migrations table yet)."""
    applied = MigrationRecorder(connection).applied_migrations()  # {} with no table yet
    missing = [
        key
        for key, migration in code_migrations().items()
        if key not in applied and not (migration.replaces and all(old in applied for old in migration.replaces))
    ]
    return [f"{app}.{name}" for app, name in sorted(missing)]
