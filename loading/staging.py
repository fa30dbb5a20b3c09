"""The fast path of a CSV import: vouch for whole lines by one pattern, convert in SQL.

Parsing every cell in Python costs more than the database's whole COPY. Instead, the
lines a file's pattern (``loading/line_pattern.py``) matches, nearly all of a good file,
go to the database as they were read, in large blocks; any other line is read and parsed
record by record, so every fault keeps its message, line, column and position. The database converts the text (``Stage.convert``): on
PostgreSQL by COPY straight into the table, or an upsert from a staging table where ids
are stored already (``PostgresStage``); on SQLite by one upsert run for every line
(``SqliteStage``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sys
from contextlib import ExitStack
from decimal import Decimal
from operator import itemgetter
from typing import Any

import psycopg
from django.db import connection, transaction

from feeds import columns as kinds
from lib.db_bounds import set_stream_statement_timeout
from loading.upsert import Upsert


def staged_text(value: Any) -> str | None:
    """A parsed value as the text ``Stage.convert`` reads back to it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, dt.date)):
        return str(value) if isinstance(value, int) else value.isoformat()
    raise TypeError(f"no staged text for {type(value).__name__}")


def csv_line(cells: list[str | None]) -> str:
    """One staged record as a CSV line: every value quoted, an absent one empty."""
    return ",".join('"' + cell.replace('"', '""') + '"' if cell is not None else "" for cell in cells) + "\n"


def _literal(value: Any) -> str:
    """A parameter as SQL text: None, a number, or a string (quotes doubled)."""
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


# SQLite's default limit on a function's arguments is 127: 63 name/value pairs.
PAIRS_PER_OBJECT = 63
_EMPTY = _literal("")


def open_stage(cursor: Any) -> Stage:
    """The writer of an import on the connection's database: the one place that chooses it."""
    return PostgresStage(cursor) if connection.vendor == "postgresql" else SqliteStage(cursor)


class Stage:
    """The staging table of one import, on one database: written, then upserted from.

    ``statement`` (``loading/upsert.py``) and ``direct`` (a COPY straight into the table,
    or None) are set by ``shape`` before use.
    """

    statement: Upsert
    direct: str | None = None
    width = 0

    def __init__(self, cursor: Any):
        self.cursor = cursor

    def __enter__(self) -> Stage:
        return self

    def shape(self, width: int, statement: Upsert, direct: str | None) -> None:
        """The columns of the records that follow (a CSV's header; a run of JSON objects' keys)."""
        if self.width:
            self.finish()
            self.drop()
        self.width, self.statement, self.direct = width, statement, direct
        self.cells = ", ".join(f"c{i}" for i in range(width))
        self.create()

    def cell(self, index: int) -> str:
        """The SQL naming the text of the cell in column ``index`` of a record."""
        return f"c{index}"

    def extra(self, index: int) -> str:
        """The SQL of the upsert's parameter ``index`` (counted after the cells)."""
        return "%s"

    def create(self) -> None:
        raise NotImplementedError

    def drop(self) -> None:
        raise NotImplementedError

    def __exit__(self, *exc: Any) -> None:
        pass

    def write_lines(self, data: bytes) -> None:
        raise NotImplementedError

    def write_row(self, cells: list[str | None]) -> None:
        raise NotImplementedError

    def convert(self, kind: kinds.Kind, cell: str) -> str:
        """The SQL for the value of a staged cell's text (an empty cell is an absent value)."""
        raise NotImplementedError

    def custom_values(self, cells: list[tuple[str, str]]) -> str:
        """The SQL of the custom values a new row is given: an object of (name, cell)."""
        raise NotImplementedError

    def custom_merge(self, table: str, cells: list[tuple[str, str]]) -> str:
        """The SQL of a stored row's custom values with ``cells`` merged in; an empty cell clears a value."""
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError


# The text COPYed into the table in one savepoint, and so what one fallback to the upsert
# redoes at most. Larger chunks mean fewer COPYs; the chunk is held until its COPY ends.
CHUNK_BYTES = 8 * 2**20


class PostgresStage(Stage):
    """Chunks of a few MiB of CSV text, each COPYed straight into the table; a chunk the
    table refuses (an id already stored, or given twice in the chunk) is rolled back and
    goes through a staging table of text columns and one INSERT … ON CONFLICT instead.

    COPY into the table is the reference speed itself; the detour costs a second write
    of the chunk, so a file of new rows goes at nearly COPY's speed and an update of
    stored rows at about half of it. The COPY of a chunk is open while its blocks arrive,
    each written as soon as it is read: the database works through one block while the
    next is read and matched, instead of waiting for a whole chunk and then being waited
    for. Chunks are written in the file's order, so of an id given twice the later record
    wins, in a chunk (``DISTINCT ON``) and across chunks.
    """

    def __enter__(self) -> PostgresStage:
        cursor = self.cursor
        # A file is many statements, some long: bounded as a feed stream is, not as a query.
        cursor.execute("SELECT current_setting('statement_timeout'), current_setting('TimeZone')")
        self.timeout, self.zone = cursor.fetchone()
        set_stream_statement_timeout(cursor)
        self.chunk: list[bytes] = []
        self.size = 0
        self.copying: ExitStack | None = None  # the savepoint and COPY of the chunk being written
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.copying is not None:  # an import stopped by a fault or an error: nothing of it is kept
            stack, self.copying = self.copying, None
            try:
                stack.__exit__(*exc)  # the COPY abandoned and rolled back to its savepoint
            except psycopg.Error:
                if exc[0] is None:
                    raise
                # The table's refusal of the open chunk (an id stored already) comes back
                # now: what stopped the import says why, not this.
                pass
        if exc[0] is None:
            if self.width:
                self.drop()
            self.cursor.execute("SELECT set_config('statement_timeout', %s, true)", [self.timeout])

    def create(self) -> None:
        if self.zone != "UTC":
            self.direct = None  # the file's timestamps are UTC: only the upsert's conversion says so
        self.cursor.execute("DROP TABLE IF EXISTS pg_temp.import_staging")
        # n keeps the file's order: of an id given twice, the later record wins.
        columns = ", ".join(f"c{i} text" for i in range(self.width))
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE import_staging (n bigint GENERATED ALWAYS AS IDENTITY, {columns}) ON COMMIT DROP"
        )

    def drop(self) -> None:
        self.cursor.execute("DROP TABLE pg_temp.import_staging")

    def write_lines(self, data: bytes) -> None:
        # A chunk's first block opens its COPY; a chunk the table refused has none left, and
        # the rest of it is only gathered, for the upsert.
        if self.direct is not None and (self.copying is not None or not self.chunk):
            self._copy_direct(data)
        self.chunk.append(data)
        self.size += len(data)
        if self.size >= CHUNK_BYTES:
            self.flush()

    def write_row(self, cells: list[str | None]) -> None:
        self.write_lines(csv_line(cells).encode())

    def _copy_direct(self, data: bytes) -> None:
        """Write ``data`` into the chunk's COPY into the table, opened (in a savepoint) first if need be."""
        if self.copying is None:
            with ExitStack() as stack:
                stack.enter_context(transaction.atomic())
                self.copy = stack.enter_context(self.cursor.copy(self.direct))
                self.copying = stack.pop_all()
        try:
            self.copy.write(data)
        except psycopg.errors.UniqueViolation:
            stack, self.copying = self.copying, None
            stack.__exit__(*sys.exc_info())  # refused: the COPY rolled back to its savepoint

    def flush(self) -> None:
        data = b"".join(self.chunk)
        self.chunk, self.size = [], 0
        if self.copying is not None:
            stack, self.copying = self.copying, None
            try:
                stack.close()  # the COPY's end: the table takes the chunk, or refuses it whole
                return
            except psycopg.errors.UniqueViolation:
                pass  # rolled back to the savepoint: upsert the chunk instead
        if not data:
            return
        cursor = self.cursor
        with cursor.copy(f"COPY import_staging ({self.cells}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(data)
        up = self.statement
        try:
            with transaction.atomic():
                cursor.execute(f"{up.insert} SELECT {up.selected} FROM import_staging {up.on_conflict}", up.params)
        except psycopg.errors.CardinalityViolation:
            # An id given twice: keep the later record (rare, so not paid for by every chunk).
            cursor.execute(
                f"{up.insert} SELECT DISTINCT ON ({up.key}) {up.selected} FROM import_staging "
                f"ORDER BY {up.key}, n DESC {up.on_conflict}",
                up.params,
            )
        cursor.execute("TRUNCATE import_staging")

    def finish(self) -> None:
        self.flush()

    def convert(self, kind: kinds.Kind, cell: str) -> str:
        text = f"NULLIF({cell}, '')"
        if isinstance(kind, kinds.Timestamp):
            return f"({text}::timestamp AT TIME ZONE 'UTC')"
        if isinstance(kind, kinds.Integer):
            return f"{text}::bigint"
        if isinstance(kind, kinds.Money):
            return f"{text}::numeric"
        if isinstance(kind, kinds.Date):
            return f"{text}::date"
        if isinstance(kind, kinds._Flag):
            return f"{text}::boolean"
        return text

    def custom_values(self, cells: list[tuple[str, str]]) -> str:
        # Text values (the kinds of custom fields parse to canonical text); an absent one is null.
        names = ", ".join(_literal(name) for name, _ in cells)
        return f"jsonb_object(ARRAY[{names}], ARRAY[{', '.join(f'NULLIF({cell}, {_EMPTY})' for _, cell in cells)}]::text[])"

    def custom_merge(self, table: str, cells: list[tuple[str, str]]) -> str:
        return f'jsonb_strip_nulls("{table}"."custom" || EXCLUDED."custom")'


IMPORT_CACHE_KIB = 64 * 1024  # SQLite's page cache during an import: the indexes of 1M rows (a bound, not an allocation)


class SqliteStage(Stage):
    """No table: the cells the C csv reader splits go straight into an upsert, by executemany,
    its VALUES converting each cell's text in SQL. SQLite upserts row by row in the file's
    order, so of an id given twice the later record wins."""

    def __init__(self, cursor: Any):
        super().__init__(cursor)
        self.naming: list[int] = []  # the cells the statement being built reads

    def cell(self, index: int) -> str:
        # Numbered parameters for the cells it reads only: SQLite wants every one bound
        # to be used (an unread column, the stamp the service sets, is dropped from the rows).
        if index not in self.naming:
            self.naming.append(index)
        return f"?{self.naming.index(index) + 1}"

    def extra(self, index: int) -> str:
        return f"?{index + 1}"

    def __enter__(self) -> SqliteStage:
        # The indexes of a large table outgrow SQLite's default page cache (2 MiB), and an
        # upsert of random ids then reads pages back one at a time: a larger cache, for this
        # import only.
        self.cursor.execute("PRAGMA cache_size")
        (self.cache_size,) = self.cursor.fetchone()
        self.cursor.execute(f"PRAGMA cache_size = {-IMPORT_CACHE_KIB}")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cursor.execute(f"PRAGMA cache_size = {int(self.cache_size)}")

    def create(self) -> None:
        up = self.statement
        # The parameters that are the same for every row (the stamp, defaults) as literals:
        # executemany then takes the csv reader's rows as they are.
        literal = {f"?{self.width + 1 + j}": _literal(value) for j, value in enumerate(up.params)}
        selected = re.sub(r"\?\d+", lambda m: literal.get(m.group(), m.group()), up.selected)
        self.sql = f"{up.insert} VALUES ({selected}) {up.on_conflict}"
        used, self.naming = self.naming, []
        self.pick = None
        if used != list(range(self.width)):
            self.pick = (lambda row: (row[used[0]],)) if len(used) == 1 else itemgetter(*used)

    def drop(self) -> None:
        pass

    def write_lines(self, data: bytes) -> None:
        lines = data.decode().split("\n")
        lines.pop()
        rows: Any = csv.reader(lines, strict=True)
        self.cursor.executemany(self.sql, rows if self.pick is None else map(self.pick, rows))

    def write_row(self, cells: list[str | None]) -> None:
        self.cursor.execute(self.sql, cells if self.pick is None else self.pick(cells))

    def finish(self) -> None:
        pass

    def convert(self, kind: kinds.Kind, cell: str) -> str:
        text = f"NULLIF({cell}, '')"
        if isinstance(kind, kinds.Timestamp):
            # As Django stores a datetime: a space, and the microseconds unless there are none.
            micro = f"substr(substr({cell}, 21) || '000000', 1, 6)"
            return (
                f"CASE WHEN {text} IS NULL THEN NULL WHEN {micro} = '000000' THEN substr(replace({cell}, 'T', ' '), 1, 19) "
                f"ELSE substr(replace({cell}, 'T', ' '), 1, 20) || {micro} END"
            )
        if isinstance(kind, kinds.Integer):
            return f"CAST({text} AS INTEGER)"
        if isinstance(kind, kinds._Flag):
            return f"CASE WHEN {text} IS NULL THEN NULL WHEN lower({cell}) IN ('true', 'yes', '1') THEN 1 ELSE 0 END"
        return text  # money as its plain text (MoneyField), dates and text as they are

    def _patched(self, base: str, cells: list[tuple[str, str]]) -> str:
        """``base`` with the cells' values merged in (RFC 7396), a ``json_object`` of at
        most PAIRS_PER_OBJECT pairs at a time: SQLite refuses a function of more than 127
        arguments, and an operator may define any number of custom fields."""
        for start in range(0, len(cells), PAIRS_PER_OBJECT):
            pairs = ", ".join(f"{_literal(name)}, NULLIF({cell}, {_EMPTY})" for name, cell in cells[start:start + PAIRS_PER_OBJECT])
            base = f"json_patch({base}, json_object({pairs}))"
        return base

    def custom_values(self, cells: list[tuple[str, str]]) -> str:
        # A merge patch onto nothing: the object without its absent (null) values.
        return self._patched("'{}'", cells)

    def custom_merge(self, table: str, cells: list[tuple[str, str]]) -> str:
        # The row's own cells, not EXCLUDED (whose absent values are gone): a null in the
        # patch removes the stored value (RFC 7396), as jsonb_strip_nulls does on PostgreSQL.
        return self._patched(f'"{table}"."custom"', cells)
