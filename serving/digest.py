"""The digest of a window (assurance.md section 14), computed in the database.

A row's text is the feed's digest columns (``Feed.digest``), each as served in CSV,
joined by a tab; the rows are the feed's current ones whose window timestamp, as served,
lies in ``[from, to)``. Each row counts the first 8 bytes of the SHA-256 of its text
(UTF-8) as an unsigned big-endian integer; the checksum is their sum modulo 2^64. A sum
does not depend on order, so the parts of a window add up to its whole, and a consumer
can compute the same over the rows it holds (docs/clients.md).

One statement per digest, the parts grouped in it (``step``); on PostgreSQL one per day
of the window's rows, in one snapshot (``_stretches``):

- PostgreSQL: the row text from the column kinds' ``sql_text`` (the COPY path's own
  cell text), hashed by ``sha256()``; the 8 bytes read as a signed ``bigint`` (that
  ``bit(64)`` cast is two's complement) and summed: PostgreSQL sums ``bigint`` into
  ``numeric``, which never overflows, and a negative term is its unsigned value less
  2^64, which the final modulo takes away.
- SQLite: the row text from the kinds' ``sqlite_cell``, hashed and summed by the
  aggregate ``intarget_digest`` that ``register_sqlite_digest`` gives every connection
  (Python's hashlib, integers without bound, the sum reduced there).

The rows are ``Feed.digest_rows``: the feed's model by its window index, or the digest's
own reader (games: the sessions by ``updated_at``, found through their span index).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import (
    Aggregate, Count, DateTimeField, Expression, F, Func, IntegerField, Max, Min, QuerySet, TextField, Value,
)
from rest_framework.exceptions import ValidationError

from feeds.columns import TIMESTAMP_FORM, format_timestamp
from feeds.registry import Column, Feed
from feeds.window import Window
from lib.durations import DURATION_FORM, parse_duration
from serving.copy_stream import tune_for_streaming, wait_for_table_locks
from serving.replicas import reading_alias

MODULUS = 2**64
# More parts than this is a 400: a digest's answer stays small.
MAX_PARTS = 10_000
# PostgreSQL: the longest stretch of a window one statement reads (_stretches).
STATEMENT_SPAN = dt.timedelta(days=1)

BAD_STEP = "step must be " + DURATION_FORM + ", at least 1s; got {value!r}"
STEP_NEEDS_WINDOW = "step cuts the window into parts: give from and to as well (UTC timestamps " + TIMESTAMP_FORM + ")"
TOO_MANY_PARTS = (
    "step {value} cuts this window into {parts} parts, more than {most}: take a step of at least {least}s, "
    "or a shorter window"
)

# PostgreSQL: the first 8 bytes of the text's SHA-256, as a signed 64-bit integer.
PG_ROW_HASH = "('x' || encode(substring(sha256(convert_to(%(expressions)s, 'UTF8')) FROM 1 FOR 8), 'hex'))::bit(64)::bigint"
SQLITE_AGGREGATE = "intarget_digest"


def row_hash(text: str) -> int:
    """The first 8 bytes of the SHA-256 of ``text`` (UTF-8), as an unsigned big-endian integer."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class _SqliteDigest:
    """SQLite's ``intarget_digest(text)``: the sum of the rows' hashes modulo 2^64, as
    decimal text (a SQLite integer is signed: text keeps the top bit)."""

    def __init__(self) -> None:
        self.total = 0

    def step(self, text: str) -> None:
        self.total += row_hash(text)

    def finalize(self) -> str:
        return str(self.total % MODULUS)


def register_sqlite_digest(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver (serving/apps.py): the aggregate on each SQLite connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_AGGREGATE, 1, _SqliteDigest)


class RowText(Func):
    """A row's digest text: each column's CSV cell (empty when absent), tab-joined."""

    output_field = TextField()

    def __init__(self, columns: Sequence[Column]):
        self.columns = tuple(columns)
        sources = [F(c.expression) if isinstance(c.expression, str) else c.expression for c in self.columns]
        super().__init__(*sources)

    def _joined(self, compiler: Any, templates: Sequence[str | None]) -> tuple[str, list[Any]]:
        cells: list[str] = []
        params: list[Any] = []
        for column, source, template in zip(self.columns, self.get_source_expressions(), templates):
            if template is None:
                # feeds/checks.py refuses such a digest column at start-up.
                raise ValueError(f"column {column.name!r} has no exact text on this database")
            sql, source_params = compiler.compile(source)
            if cells:
                # The tab as a parameter: the same on both databases, no escape to get wrong.
                cells.append("%s")
                params.append("\t")
            cells.append(f"COALESCE({template % {'expressions': sql}}, '')")
            params += source_params
        return f"({' || '.join(cells)})", params

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self._joined(compiler, [column.kind.sqlite_cell for column in self.columns])

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self._joined(compiler, [column.kind.sql_text for column in self.columns])


class DigestSum(Aggregate):
    """The sum of the rows' hashes, as decimal text (reduced modulo 2^64 in Python)."""

    output_field = TextField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        text, params = compiler.compile(self.get_source_expressions()[0])
        return f"{SQLITE_AGGREGATE}({text})", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        text, params = compiler.compile(self.get_source_expressions()[0])
        return f"(SUM({PG_ROW_HASH % {'expressions': text}}))::text", params


class PartOf(Func):
    """The 0-based part of the window a timestamp lies in: whole ``step``s since ``start``."""

    output_field = IntegerField()

    def __init__(self, stamp: Expression, start: dt.datetime, step: int):
        super().__init__(stamp, Value(start, output_field=DateTimeField()), Value(step, output_field=IntegerField()))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        (stamp, p1), (start, p2), (step, p3) = (compiler.compile(e) for e in self.get_source_expressions())
        # datetime() drops the fraction (a part starts on a whole second) and reads any ISO
        # form; the difference of two Julian days is exact to well under a second, so
        # round() gives the whole seconds between them; both sides are >= 0, so the
        # integer division is a floor.
        sql = f"(CAST(round((julianday(datetime({stamp})) - julianday({start})) * 86400) AS INTEGER) / {step})"
        return sql, [*p1, *p2, *p3]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        (stamp, p1), (start, p2), (step, p3) = (compiler.compile(e) for e in self.get_source_expressions())
        # Whole seconds as bigint: exact (a double holds every whole second of years 1 to
        # 9999), and the integer division of two numbers >= 0 is a floor. extract(epoch)
        # of an interval would be numeric, whose arithmetic cost a third of the hashing
        # per row (bench/README.md, Digests).
        seconds = "date_part('epoch', date_trunc('second', {}))::bigint"
        return f"(({seconds.format(stamp)} - {seconds.format(start)}) / {step})", [*p1, *p2, *p3]


@dataclass(frozen=True)
class Part:
    start: dt.datetime | None
    end: dt.datetime | None
    rows: int
    checksum: int  # 0 <= checksum < 2^64

    def as_json(self) -> dict[str, Any]:
        return {"from": _text(self.start), "to": _text(self.end), "rows": self.rows, "checksum": f"{self.checksum:016x}"}


@dataclass(frozen=True)
class WindowDigest:
    feed: str
    whole: Part
    parts: list[Part] | None  # None: no step asked

    def as_json(self) -> dict[str, Any]:
        """The answer of ``GET /api/<feed>/digest``."""
        body = {"feed": self.feed, **self.whole.as_json()}
        if self.parts is not None:
            body["parts"] = [part.as_json() for part in self.parts]
        return body


def _text(stamp: dt.datetime | None) -> str | None:
    return None if stamp is None else format_timestamp(stamp)  # year 1 as 0001, unlike strftime


def parse_step(params: Mapping[str, str], window: Window) -> int | None:
    """``step`` in seconds, None when absent; ValidationError naming ``step`` when it is
    not a duration, the window has no bounds to cut, or it makes more than MAX_PARTS."""
    raw = (params.get("step") or "").strip()
    if not raw:
        return None
    try:
        step = parse_duration(raw, at_most=None)
    except ValueError:
        raise ValidationError({"step": [BAD_STEP.format(value=raw)]}) from None
    if window.start is None or window.end is None:
        raise ValidationError({"step": [STEP_NEEDS_WINDOW]})
    seconds = int((window.end - window.start).total_seconds())
    parts = math.ceil(seconds / step)
    if parts > MAX_PARTS:
        least = math.ceil(seconds / MAX_PARTS)
        raise ValidationError({"step": [TOO_MANY_PARTS.format(value=raw, parts=parts, most=MAX_PARTS, least=least)]})
    # A step longer than the window is one part, the window: so it is, at the window's
    # length, a number the database's integers hold (the contract sets no bound on it).
    return min(step, max(seconds, 1))


def digest_rows(feed: Feed, window: Window, step: int | None) -> QuerySet:
    """The selector: one row per non-empty part, ``(part, rows, total)``: the part's
    number (0 without ``step``), its row count and its hashes' sum as decimal text (None
    for no row on PostgreSQL). Without ``step``, one row even for an empty window."""
    stamp = feed.digest_window().field_name
    rows = feed.digest_rows(window.start, window.end)
    if step is None:
        # A constant is not grouped by: one aggregate over every row.
        rows = rows.annotate(part=Value(0, output_field=IntegerField()))
    else:
        assert window.start is not None
        rows = rows.annotate(part=PartOf(F(stamp), window.start, step))
    return rows.values("part").annotate(rows=Count("*"), total=DigestSum(RowText(feed.digest_columns()))).values_list(
        "part", "rows", "total"
    )


def window_digest(feed: Feed, window: Window, step: int | None) -> WindowDigest:
    """The digest of a final window (call finality.ensure_final first: with replicas, the
    database read is chosen here, and is current only when chosen after)."""
    found: dict[int, tuple[int, int]] = {}
    for part, rows, total in _run(feed, window, step):  # a part cut by two statements comes twice
        counted, checksum = found.get(part, (0, 0))
        found[part] = (counted + rows, (checksum + int(total or 0)) % MODULUS)
    if step is None:
        rows, checksum = found.get(0, (0, 0))
        return WindowDigest(feed.name, Part(window.start, window.end, rows, checksum), None)
    assert window.start is not None and window.end is not None
    parts = []
    seconds = int((window.end - window.start).total_seconds())
    for n in range(math.ceil(seconds / step)):
        # Offsets within the window: a step of 999999999d must not reach past year 9999.
        start = window.start + dt.timedelta(seconds=n * step)
        end = window.start + dt.timedelta(seconds=min((n + 1) * step, seconds))
        rows, checksum = found.get(n, (0, 0))
        parts.append(Part(start, end, rows, checksum))
    whole = Part(window.start, window.end, sum(p.rows for p in parts), sum(p.checksum for p in parts) % MODULUS)
    return WindowDigest(feed.name, whole, parts)


def _run(feed: Feed, window: Window, step: int | None) -> list[tuple[int, int, str | None]]:
    if window.is_empty:
        return []
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        # One SELECT reads one snapshot; an atomic block would take SQLite's write lock.
        return list(digest_rows(feed, window, step))
    # As a feed answer: a replica that has replayed the final window, or the primary;
    # a locked table is a 503 before the statement, not a wait past the lock bound.
    using = reading_alias()
    wait_for_table_locks((feed.digest_rows(None, None).model._meta.db_table,), using)
    found: list[tuple[int, int, str | None]] = []
    # Inside a caller's transaction (a test's), its isolation is the caller's to choose.
    own_transaction = not connections[using].in_atomic_block
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        if own_transaction:
            # One snapshot for every day's statement: a row that moves to a later day in
            # between (a window timestamp only moves forward) must not count in both.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # JIT off and the stream's statement bound: a day's statement may take seconds.
        tune_for_streaming(cursor, index_ordered=False, stream_bound=True)
        if step is not None:
            cursor.execute("SELECT set_config('enable_mergejoin', 'off', true)")
        for chunk in _stretches(feed, window, using):
            if step is None:
                found += digest_rows(feed, chunk, None).using(using)
            else:
                cursor.execute(*_parts_sql(feed, chunk, window, step, using))
                found += cursor.fetchall()
    return found


def _stretches(feed: Feed, window: Window, using: str) -> list[Window]:
    """The part of ``window`` that holds rows, as consecutive windows of at most
    STATEMENT_SPAN, one statement each: a statement that sends nothing for longer than
    DATABASE_STALL_TIMEOUT is cut as a stalled database would be (lib/db_bounds.py), and
    a week of a busy feed would be one. The first and last rows' times (two probes of the
    window's index) bound it, so that a window from year 1 is not read a day at a time."""
    if window.start is None or window.end is None:
        return [window]
    stamp = feed.digest_window().field_name
    found = feed.digest_rows(window.start, window.end).using(using).aggregate(first=Min(stamp), last=Max(stamp))
    if found["first"] is None:
        return []
    start = max(window.start, found["first"].replace(microsecond=0))
    end = min(window.end, found["last"] + dt.timedelta(microseconds=1))
    stretches = []
    while start < end:
        stretches.append(Window(start, min(start + STATEMENT_SPAN, end)))
        start += STATEMENT_SPAN
    return stretches


def _parts_sql(feed: Feed, window: Window, whole: Window, step: int, using: str) -> tuple[str, list[Any]]:
    """PostgreSQL, with ``step``: ``digest_rows`` for ``window``, a part of ``whole``
    (whose parts are numbered), as one statement that runs in parallel.

    Grouped by the part's expression, the planner takes each row for a group of its own
    (it knows no better than the distinct times), finds nothing to gain in aggregating
    per worker, and hashes every row in one process: three times the time of the same
    window without step on two cores (bench/README.md, Digests). Joined to the list of
    the parts, it groups by that list's numbers, and each worker hashes and sums its own
    share of the rows (a hash join: a merge join would sort every row first).
    """
    assert whole.start is not None and whole.end is not None
    stamp = feed.digest_window().field_name
    rows = (
        feed.digest_rows(window.start, window.end)
        .annotate(part=PartOf(F(stamp), whole.start, step), text=RowText(feed.digest_columns()))
        .values_list("part", "text")
    )
    inner, params = rows.query.get_compiler(using).as_sql()
    last = math.ceil((whole.end - whole.start).total_seconds() / step) - 1
    sql = (
        f"SELECT parts.n, count(*), (SUM({PG_ROW_HASH % {'expressions': 'r.text'}}))::text"
        f" FROM ({inner}) AS r JOIN generate_series(0, %s) AS parts(n) ON parts.n = r.part GROUP BY parts.n"
    )
    return sql, [*params, last]
