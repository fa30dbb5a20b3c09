"""A session's span, [first action, last action], and the PostgreSQL index that finds the
sessions whose span meets a window.

A session has an action in ``[from, to)`` exactly when its first action or its last
action lies in the window, or, when it started before the window and ended after it,
when one of its actions in between does (checked by the session's own actions index).
The summary (games/session_triggers.py) keeps the first and last action times as
``created_at`` and ``updated_at``, so the candidates are the sessions whose span
overlaps the window: a GiST range index gives them without reading one action. (A
session that lost its last action keeps its ``updated_at``, which never goes back: its
span is then wider than its actions, never narrower, so no candidate is missed; the
feed's selector asks such a session its own actions.) The
day window over 300k actions then no longer hashes 300k session ids to find its 30k
sessions (bench/README.md, The games feed).

SQLite has no such index; there the window's sessions come from the actions' time
index, as before (games/selectors.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, DateTimeField, F, Func, Value

INDEX = "session_span"
# The expression must be the one SpanMeets writes, or the planner will not use it.
# CONCURRENTLY: built beside the running service, whose action writes (through the
# triggers, writes of the summary) a plain CREATE INDEX would hold up for the whole build.
CREATE_INDEX = (
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON games_gamesession"
    " USING gist (tstzrange(created_at, updated_at, '[]'))"
)
DROP_INDEX = f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}"
# A concurrent build that failed (cancelled, or the server stopped) leaves an invalid
# index, which IF NOT EXISTS would keep: it is dropped, and built again.
INVALID = f"SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('{INDEX}') AND NOT indisvalid"


class SpanMeets(Func):
    """PostgreSQL only: the session's [created_at, updated_at] overlaps ``[start, end)``
    (an absent bound is open)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, start: Any, end: Any):
        if start is not None and end is not None and end < start:
            end = start  # empty, as the window's other conditions: a range refuses to end before it starts
        super().__init__(
            F("created_at"), F("updated_at"),
            Value(start, output_field=DateTimeField()), Value(end, output_field=DateTimeField()),
        )

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        compiled = [compiler.compile(expression) for expression in self.get_source_expressions()]
        first, last, start, end = (sql for sql, _ in compiled)
        params = [param for _, part in compiled for param in part]
        return (
            f"tstzrange({first}, {last}, '[]') && tstzrange(({start})::timestamptz, ({end})::timestamptz, '[)')",
            params,
        )


def install(apps: Any, schema_editor: Any) -> None:
    """In a migration that is not atomic: CONCURRENTLY cannot run in a transaction."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(INVALID)
        invalid = cursor.fetchone() is not None
    if invalid:
        schema_editor.execute(DROP_INDEX)
    schema_editor.execute(CREATE_INDEX)


def uninstall(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_INDEX)
