"""The second a stored stamp is served at, as SQL on either database, and the index that
keeps a window ordered by it a range scan.

Feeds write timestamps in whole seconds, truncated (feeds.md section 2; no-row-lost.md
race 5), while the database stores the clock's fraction. A feed ordered by its window
timestamp *as served* (``deletions``: by ``deleted_at``, ``feed``, ``id``, assurance.md
section 15) must not follow the fraction within a second: it orders, and selects its
window, by this expression, and an index on it, its feed column and its id serves both
the range and the order (no sort before the first row). A window's bounds are whole
seconds (feeds/window.py), so ``from <= t < to`` holds exactly when it holds for ``t``'s
second: the window's rows are the same; only their order within a second changes. The
stored stamps are never changed (one truncated down could land in a window already
served).

- PostgreSQL: ``date_trunc('second', t AT TIME ZONE 'UTC')``, immutable, so indexable
  (``date_trunc`` of a ``timestamptz`` is only stable: it reads the session's zone).
- SQLite: the stored text (``YYYY-MM-DD HH:MM:SS[.fraction]``) cut to its first 19
  characters, the way the service writes datetimes there.

The index is made by each database's own statement (``install``, from a migration), not
declared in the model's Meta: the two expressions differ.
"""

from __future__ import annotations

from typing import Any

from django.db.models import DateTimeField, F, Func, Q, Value
from django.db.models.lookups import GreaterThanOrEqual, LessThan


class ServedSecond(Func):
    """The served second of a timestamp column or value. As an index's expression, the
    column must be written as ``install`` writes it (unqualified, the same call)."""

    output_field = DateTimeField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"substr({sql}, 1, 19)", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date_trunc('second', ({sql}) AT TIME ZONE 'UTC')", params


def within_served(field: str, start: Any, end: Any) -> Q:
    """``start <= second(field) < end``, the half-open window on the served second, in
    the form the index on ``ServedSecond(field)`` serves (the bounds in the same form)."""
    second = ServedSecond(F(field))
    condition = Q()
    if start is not None:
        condition &= GreaterThanOrEqual(second, ServedSecond(Value(start, output_field=DateTimeField())))
    if end is not None:
        condition &= LessThan(second, ServedSecond(Value(end, output_field=DateTimeField())))
    return condition


def _create(table: str, column: str, rest: tuple[str, ...], index: str, vendor: str) -> str:
    second = (
        f"date_trunc('second', ({column}) AT TIME ZONE 'UTC')" if vendor == "postgresql" else f"substr({column}, 1, 19)"
    )
    concurrently = " CONCURRENTLY" if vendor == "postgresql" else ""
    return f"CREATE INDEX{concurrently} IF NOT EXISTS {index} ON {table} ({', '.join([second, *rest])})"


def installer(table: str, column: str, rest: tuple[str, ...], index: str) -> tuple[Any, Any]:
    """``(install, uninstall)`` of the index ``index`` on ``(second(column), *rest)``, for a
    migration's RunPython that is not atomic (PostgreSQL builds it CONCURRENTLY, beside
    the running service's writes; a build that failed left an invalid index, which is
    dropped and built again)."""

    def install(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(%s) AND NOT indisvalid", [index]
                )
                if cursor.fetchone() is not None:
                    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}")
        schema_editor.execute(_create(table, column, rest, index, vendor))

    def uninstall(apps: Any, schema_editor: Any) -> None:
        concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(f"DROP INDEX{concurrently} IF EXISTS {index}")

    return install, uninstall
