"""Load a CSV or JSON file into a feed: upsert by id, all or nothing.

Every cell is parsed by its column's kind. A bad cell refuses the whole file; the
reading goes on to report every bad cell with its line and column, up to
``MAX_FAULTS``, so that one run shows what to fix (a fault of the file's syntax ends the
reading at once). Rows are written in batches inside one transaction, and none once a
fault is found, so a refused file leaves nothing behind. Columns absent from a record
leave an existing row's values untouched; the window timestamp is stamped by the
service unless the import preserves the file's timestamps (history backfills).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any, BinaryIO

import psycopg
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from feeds.columns import Text
from feeds.registry import Column, Feed
from feeds.stamping import clock, preserve_timestamps
from loading import staging
from loading.line_pattern import line_pattern
from loading.plan import ColumnPlan
from loading.read_ahead import read_ahead
from loading.readers import MAX_FAULTS, CsvBlocks, Fault, ImportRefused, Lines, Record, read_json

__all__ = ["MAX_FAULTS", "ImportRefused", "import_file", "import_stream"]

BATCH_SIZE = 5000
# Rows between two reports to a progress callback: often enough for a bar, rare enough
# to cost nothing.
PROGRESS_EVERY = 1000

OnProgress = Callable[[int], None]  # told the number of records read so far


# --- writing -------------------------------------------------------------------------


def database_unavailable(error: BaseException) -> bool:
    """Whether a failed write says nothing about the rows: a lock or statement timeout, a
    busy SQLite file, a lost connection. Such a failure is raised as it is (a push answers
    503 with Retry-After, import_feed names it), never as a refusal of the file, which would
    tell the sender to fix rows that are fine. Anything else the database refuses (a
    constraint, a value it will not store) is the rows' fault."""
    cause = error.__cause__ if isinstance(error, DatabaseError) and error.__cause__ is not None else error
    if isinstance(cause, psycopg.OperationalError):
        return True  # lock_timeout, statement_timeout, an admin shutdown, a broken connection
    if isinstance(cause, sqlite3.OperationalError):
        message = str(cause).lower()
        return "locked" in message or "busy" in message
    return False



class FeedImporter:
    def __init__(self, feed: Feed, *, preserve: bool):
        self.feed = feed
        self.preserve = preserve
        self.model = feed.model
        self.pk_name = self.model._meta.pk.name
        self.columns = {column.name: column for column in feed.all_columns()}
        self.stamp_column = next(
            (c.name for c in self.columns.values() if c.field_name == feed.window_field), None
        )
        # A kept stamp in the future would pin the row there: every later change keeps
        # the later of the clock and the old stamp.
        self.latest_stamp = clock() if preserve else None
        self.plans = {name: self._plan(column) for name, column in self.columns.items()}

    def column_faults(self, names: Iterable[str], record: Record | None = None) -> list[Fault]:
        """What is wrong with a set of columns: the CSV header's, or one JSON object's keys."""
        line = record.line if record is not None else 1
        position = record.position if record is not None else None
        faults = []
        known = ", ".join(self.columns)
        for name in names:
            if name not in self.columns:
                where = record.line_of(name) if record is not None else line
                message = f"unknown column for {self.feed.name}; the columns are: {known}"
                faults.append(Fault(message, where, name, position))
        for column in self.columns.values():
            if not column.required or column.name in names:
                continue
            if column.name == self.stamp_column and not self.preserve:
                continue  # the service stamps it
            faults.append(Fault("required column is missing", line, column.name, position))
        return faults

    def parse(self, record: Record) -> tuple[dict[str, Any], dict[str, Any]]:
        """The record as model field values and custom values; raise naming every bad cell."""
        fields: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        faults: list[Fault] = []
        for name, text in record.values.items():
            plan = self.plans[name]
            if plan is None:  # the window timestamp, stamped by the service
                continue
            if text is None:
                if plan.required:
                    faults.append(Fault("a value is required", record.line_of(name), name, record.position))
                    continue
                value = None
            elif plan.parse is None:  # free text: taken as it is, but for NUL
                if "\x00" in text:
                    faults.append(Fault("expected text without NUL characters", record.line_of(name), name, record.position))
                    continue
                value = text
            else:
                try:
                    value = plan.parse(text)
                except ValueError as error:
                    faults.append(Fault(str(error), record.line_of(name), name, record.position))
                    continue
                if plan.must_be_past and value > self.latest_stamp:
                    message = f"{text} is in the future; a kept timestamp must be in the past"
                    faults.append(Fault(message, record.line_of(name), name, record.position))
                    continue
            (custom if plan.custom else fields)[plan.target] = value
        if faults:
            raise ImportRefused.of(faults)
        if self.preserve and self.feed.stamp_follows and self.feed.window_field not in fields:
            fields[self.feed.window_field] = fields.get(self.feed.stamp_follows)
        return fields, custom

    def _plan(self, column: Column) -> ColumnPlan | None:
        """How a column's cells are read: worked out once, used for every record."""
        if column.name == self.stamp_column and not self.preserve:
            return None
        target = column.name if column.custom_field else column.field_name
        must_be_past = bool(self.latest_stamp) and column.field_name in (self.feed.window_field, self.feed.stamp_follows)
        kind = column.kind
        # Free text needs no parse call (a third of the cells of a typical file).
        parse = None if type(kind) is Text and not kind.choices and not kind.max_length else kind.parse
        return ColumnPlan(parse, target, column.required, column.custom_field, must_be_past)

    def run(self, header: list[str] | None, records: Iterator[Record], progress: OnProgress | None = None) -> int:
        if header is not None and (faults := self.column_faults(header)):
            raise ImportRefused.of(faults)
        count = 0
        # Once a fault is found nothing more is written: the rest is read only to find
        # the other faults, and the transaction is rolled back.
        faults = []
        batch: dict[Any, tuple[dict[str, Any], dict[str, Any]]] = {}
        batch_keys: frozenset[str] | None = None
        keys: frozenset[str] | None = None  # the columns the current record sets
        shape: tuple[str, ...] | None = None  # the keys of the last JSON object checked
        shape_ok = True
        first_line = first_position = 0
        pk_field = self._pk_field()
        with transaction.atomic():
            try:
                for record in records:
                    count += 1
                    if progress is not None and count % PROGRESS_EVERY == 0:
                        progress(count)
                    if header is None:
                        # JSON: each object names its columns; consecutive objects mostly share them.
                        names = tuple(record.values)
                        if names != shape:
                            shape, keys = names, None
                            shape_ok = not self.column_faults(names, record)
                        if not shape_ok:
                            faults += self.column_faults(names, record)
                            if len(faults) >= MAX_FAULTS:
                                break
                            continue
                    try:
                        fields, custom = self.parse(record)
                    except ImportRefused as refused:
                        faults += refused.faults
                        if len(faults) >= MAX_FAULTS:
                            break
                        continue
                    if faults:
                        continue
                    if keys is None:  # the same for every record of one shape (every record of a CSV)
                        keys = frozenset(fields) | frozenset(f"custom:{k}" for k in custom)
                    # Rows in one upsert must set the same columns; a record with another set
                    # of columns (JSON) starts a new batch, which keeps the file's order.
                    if batch and (keys != batch_keys or len(batch) >= BATCH_SIZE):
                        try:
                            self.write(batch, first_line, record.line - 1, first_position)
                        except ImportRefused as refused:
                            faults += refused.faults
                        batch = {}
                        if faults:
                            continue
                    if not batch:
                        batch_keys, first_line, first_position = keys, record.line, record.position
                    pk = fields[pk_field]
                    batch.pop(pk, None)  # the same id twice: the later record wins
                    batch[pk] = (fields, custom)
            except ImportRefused as refused:
                # The file's syntax: what follows cannot be read as records.
                faults += refused.faults
            if faults:
                raise ImportRefused.of(faults[:MAX_FAULTS], stopped_at_limit=len(faults) >= MAX_FAULTS)
            if batch:
                self.write(batch, first_line, None, first_position)
        if progress is not None:
            progress(count)
        return count

    def run_csv(self, blocks: CsvBlocks, progress: OnProgress | None = None) -> int:
        """A CSV: through a staging table (``loading/staging.py``) when the file's columns allow, else record by record."""
        header = blocks.header
        pattern = self.pattern(header) if set(header) <= set(self.columns) else None
        if pattern is None:
            return self.run(header, blocks.records(None), progress)
        items = read_ahead(blocks.records(pattern))
        try:
            return self.run_staged(header, items, progress)
        finally:
            items.close()  # stop the reading thread now, before the file is closed (at MAX_FAULTS, or a refusal)

    def staged_json(self) -> bool:
        """Whether JSON records can go through the staging table: no custom values to merge,
        and every column of a kind the line pattern knows."""
        return self.pattern(list(self.columns)) is not None

    def pattern(self, names: list[str]) -> re.Pattern[bytes] | None:
        before = self.latest_stamp.astimezone(dt.timezone.utc).date() if self.latest_stamp else None
        kinds_of = {name: column.kind for name, column in self.columns.items()}
        return line_pattern(self.plans, kinds_of, names, before)

    def run_staged(self, header: list[str] | None, items: Iterator[Lines | Record], progress: OnProgress | None) -> int:
        """Stage the file's text in a table of text columns, then convert and upsert it.

        Vouched-for CSV lines go as they were read; a JSON object whose values, written as
        a CSV line, the pattern of its keys vouches for goes as that line. Other records
        are parsed here (naming their faults as ``run`` does) and staged as their values.
        """
        if header is not None and (faults := self.column_faults(header)):
            raise ImportRefused.of(faults)
        count = 0
        faults = []
        shape: tuple[str, ...] | None = None  # the keys of the last JSON object checked
        shape_ok = True
        match = None
        stage_class = staging.PostgresStage if connection.vendor == "postgresql" else staging.SqliteStage
        with transaction.atomic(), connection.cursor() as wrapper:
            try:
                with stage_class(wrapper.cursor) as stage:
                    if header is not None:
                        stage.shape(len(header), self._staged_upsert(header, stage), self._direct_copy(header))
                    try:
                        for item in items:
                            if item.__class__ is Lines:
                                if progress is not None and (count + item.count) // PROGRESS_EVERY != count // PROGRESS_EVERY:
                                    progress(count + item.count)
                                count += item.count
                                if not faults:
                                    stage.write_lines(item.data)  # type: ignore[union-attr]
                                continue
                            record: Record = item  # type: ignore[assignment]
                            count += 1
                            if progress is not None and count % PROGRESS_EVERY == 0:
                                progress(count)
                            names = header
                            if header is None:
                                # JSON: each object names its columns; consecutive objects mostly share them.
                                if (keys := tuple(record.values)) != shape:
                                    shape = keys
                                    shape_ok = not self.column_faults(keys, record)
                                    if shape_ok and not faults:
                                        names = list(keys)
                                        stage.shape(len(names), self._staged_upsert(names, stage), self._direct_copy(names))
                                        match = self.pattern(names).fullmatch  # type: ignore[union-attr]
                                if not shape_ok:
                                    faults += self.column_faults(keys, record)
                                    if len(faults) >= MAX_FAULTS:
                                        break
                                    continue
                                if not faults:
                                    line = staging.csv_line(list(record.values.values())).encode()
                                    if match(line[:-1]):  # type: ignore[misc]
                                        stage.write_lines(line)
                                        continue
                                names = list(shape)
                            try:
                                fields, _ = self.parse(record)
                            except ImportRefused as refused:
                                faults += refused.faults
                                if len(faults) >= MAX_FAULTS:
                                    break
                                continue
                            if not faults:
                                stage.write_row(self._staged_cells(names, fields))  # type: ignore[arg-type]
                    except ImportRefused as refused:
                        # The file's syntax: what follows cannot be read as records.
                        faults += refused.faults
                    if faults:
                        raise ImportRefused.of(faults[:MAX_FAULTS], stopped_at_limit=len(faults) >= MAX_FAULTS)
                    if stage.width:
                        stage.finish()
            except (DatabaseError, psycopg.Error, sqlite3.Error) as error:
                if database_unavailable(error):
                    raise
                raise ImportRefused(f"lines 2-end: the database refused the rows: {error}", record=1) from None
        if progress is not None:
            progress(count)
        return count

    def _staged_cells(self, header: list[str], fields: dict[str, Any]) -> list[str | None]:
        cells: list[str | None] = []
        for name in header:
            plan = self.plans[name]
            cells.append(None if plan is None else staging.staged_text(fields.get(plan.target)))
        return cells

    def _direct_copy(self, header: list[str]) -> str | None:
        """PostgreSQL: the COPY straight into the feed's table that the file's lines can take,
        when every column the table needs is in the file as it is: None otherwise."""
        opts = self.model._meta
        window_field = self.model.window_field  # type: ignore[attr-defined]
        names = [self.columns[name].field_name if self.plans[name] is None else self.plans[name].target for name in header]  # type: ignore[union-attr]
        if self.preserve and window_field not in names:
            return None  # kept stamps that come from another column, or a placeholder
        for field in opts.concrete_fields:
            if field.attname not in names and not field.null and field.has_default():
                return None  # a default Django gives, not the database
        columns = ", ".join(f'"{opts.get_field(name).column}"' for name in names)
        # FORCE_NULL: a quoted empty cell is an absent value too, as everywhere in imports.
        return f'COPY "{opts.db_table}" ({columns}) FROM STDIN (FORMAT csv, FORCE_NULL ({columns}))'

    def _staged_upsert(self, header: list[str], stage: staging.Stage) -> tuple[str, str, str, str, list[Any]]:
        """The upsert from the staging table: its INSERT, SELECT list, key, ON CONFLICT and parameters."""
        opts = self.model._meta
        pk = self._pk_field()
        window_field = self.model.window_field  # type: ignore[attr-defined]
        names: list[str] = []
        values: list[str] = []
        params: list[Any] = []
        for i, name in enumerate(header):
            plan = self.plans[name]
            if plan is not None:
                names.append(plan.target)
                values.append(stage.convert(self.columns[name].kind, stage.cell(i)))
        if self.preserve and self.feed.stamp_follows and window_field not in names and self.feed.stamp_follows in names:
            names.append(window_field)
            values.append(values[names.index(self.feed.stamp_follows)])
        updated = [name for name in names if name != pk]
        if window_field not in names:
            # PostgreSQL: a placeholder for NOT NULL, the trigger stamps the row. SQLite:
            # the stamp, taken under the write lock (IMMEDIATE transactions).
            names.append(window_field)
            values.append(stage.extra(len(header) + len(params)))
            params.append(opts.get_field(window_field).get_db_prep_value(timezone.now(), connection))
        # Columns the file leaves out but that are NOT NULL with a default (custom = {}):
        # given on insert, never overwritten on conflict.
        for field in opts.concrete_fields:
            if field.attname not in names and not field.null and field.has_default():
                names.append(field.attname)
                values.append(stage.extra(len(header) + len(params)))
                params.append(field.get_db_prep_value(field.get_default(), connection))

        def column(name: str) -> str:
            return f'"{opts.get_field(name).column}"'

        table = opts.db_table
        updated_sql = [f"{column(name)} = EXCLUDED.{column(name)}" for name in updated]
        if updated_sql and window_field not in updated:
            if connection.vendor == "postgresql":
                # An updated row is stamped again (the trigger takes the later of now and the old stamp).
                updated_sql.append(f"{column(window_field)} = EXCLUDED.{column(window_field)}")
            else:  # a stamp never goes back (StampedModel.stamp)
                updated_sql.append(f'{column(window_field)} = MAX(EXCLUDED.{column(window_field)}, "{table}".{column(window_field)})')
        conflict = f"DO UPDATE SET {', '.join(updated_sql)}" if updated_sql else "DO NOTHING"
        insert = f'INSERT INTO "{table}" ({", ".join(column(name) for name in names)})'
        return insert, ", ".join(values), values[names.index(pk)], f'ON CONFLICT ("{opts.pk.column}") {conflict}', params

    def _pk_field(self) -> str:
        return self.model._meta.pk.attname

    def write(
        self, batch: dict[Any, tuple[dict[str, Any], dict[str, Any]]], first: int, last: int | None, position: int
    ) -> None:
        rows = list(batch.values())
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    self._copy_upsert(rows)
                else:
                    self._bulk_upsert(rows)
        except (DatabaseError, psycopg.Error) as error:
            if database_unavailable(error):
                raise
            lines = f"lines {first}-{last}" if last else f"lines {first}-end"
            raise ImportRefused(f"{lines}: the database refused the rows: {error}", record=position) from None

    def _bulk_upsert(self, rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """The portable path: the ORM's upsert, stamping through StampedQuerySet."""
        field_names = [name for name in rows[0][0] if name != self._pk_field()]
        objects = [self.model(**fields) for fields, _ in rows]
        if rows[0][1]:
            existing = dict(
                self.model._default_manager.select_for_update()
                .filter(pk__in=[obj.pk for obj in objects])
                .values_list("pk", "custom")
            )
            for obj, (_, custom) in zip(objects, rows):
                merged = {**(existing.get(obj.pk) or {}), **custom}
                # An empty cell or null clears the value: absent, not a stored JSON null.
                obj.custom = {key: value for key, value in merged.items() if value is not None}  # type: ignore[attr-defined]
            field_names.append("custom")
        if field_names:
            self.model._default_manager.bulk_create(
                objects, update_conflicts=True, unique_fields=[self.pk_name], update_fields=field_names
            )
        else:
            self.model._default_manager.bulk_create(objects, ignore_conflicts=True)

    def _copy_upsert(self, rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """PostgreSQL: COPY the batch into a temporary table, then one INSERT … ON CONFLICT.

        Several times faster than the ORM's multi-row INSERT, whose SQL Django compiles
        and psycopg splits parameter by parameter. The stamping trigger still stamps every
        row (or keeps the file's stamps under preserve_timestamps()).
        """
        opts = self.model._meta
        pk = self._pk_field()
        updated = [name for name in rows[0][0] if name != pk]
        names = [pk, *updated]
        values = [[fields[name] for name in names] for fields, _ in rows]
        if self.model.window_field not in names:  # type: ignore[attr-defined]
            # A placeholder for NOT NULL: the trigger stamps the row.
            names.append(self.model.window_field)  # type: ignore[attr-defined]
            placeholder = timezone.now()
            for row in values:
                row.append(placeholder)
        if rows[0][1]:
            names.append("custom")
            for row, (_, custom) in zip(values, rows):
                row.append(Jsonb(custom))
        # Columns the file leaves out but that are NOT NULL with a default (custom = {}):
        # given on insert, never overwritten on conflict.
        for field in opts.concrete_fields:
            if field.attname not in names and not field.null and field.has_default():
                names.append(field.attname)
                default = field.get_default()
                for row in values:
                    row.append(Jsonb(default) if isinstance(default, dict) else default)
        def column(name: str) -> str:
            return f'"{opts.get_field(name).column}"'

        quoted = ", ".join(column(name) for name in names)
        table = opts.db_table
        staging = f"import_{table}"
        window_field = self.model.window_field  # type: ignore[attr-defined]
        updated_sql = [f"{column(name)} = EXCLUDED.{column(name)}" for name in updated]
        if rows[0][1]:
            # Merge the file's custom values into the stored ones; null clears a value.
            updated_sql.append(f'"custom" = jsonb_strip_nulls("{table}"."custom" || EXCLUDED."custom")')
        if updated_sql and window_field not in updated:
            # An updated row is stamped again (the trigger takes the later of now and the old stamp).
            updated_sql.append(f"{column(window_field)} = EXCLUDED.{column(window_field)}")
        conflict = f"DO UPDATE SET {', '.join(updated_sql)}" if updated_sql else "DO NOTHING"
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor
            cursor.execute(
                # Every column, no constraint: batches of one file may set different columns.
                f'CREATE TEMPORARY TABLE IF NOT EXISTS "{staging}" ON COMMIT DROP AS '
                f'SELECT * FROM "{table}" WITH NO DATA'
            )
            cursor.execute(f'TRUNCATE "{staging}"')
            with cursor.copy(f'COPY "{staging}" ({quoted}) FROM STDIN') as copy:
                for row in values:
                    copy.write_row(row)
            cursor.execute(
                f'INSERT INTO "{table}" ({quoted}) SELECT {quoted} FROM "{staging}" '
                f'ON CONFLICT ("{opts.pk.column}") {conflict}'
            )


def import_stream(
    feed: Feed, stream: BinaryIO, format: str, *, preserve: bool = False, progress: OnProgress | None = None
) -> int:
    """Upsert every record of a binary ``stream`` of CSV or JSON (``format``); return how many were read."""
    if format == "csv":
        return _run_csv(feed, preserve, stream, progress)
    if format == "json":
        return _run(feed, preserve, None, read_json(stream), progress)
    raise ImportRefused(f"expected csv or json, not {format!r}")


def import_file(feed: Feed, path: Path, *, preserve: bool = False, progress: OnProgress | None = None) -> int:
    """Upsert every record of ``path`` (.csv or .json) into ``feed``; return how many records were read.

    ``progress``, when given, is told the number of records read every ``PROGRESS_EVERY``
    records and at the end.
    """
    format = path.suffix.lower().lstrip(".")
    if format not in ("csv", "json"):
        raise ImportRefused(f"{path.name}: expected a .csv or .json file")
    with path.open("rb") as file:
        return import_stream(feed, file, format, preserve=preserve, progress=progress)


def _run_csv(feed: Feed, preserve: bool, stream: BinaryIO, progress: OnProgress | None) -> int:
    blocks = CsvBlocks(stream)
    importer = FeedImporter(feed, preserve=preserve)
    with preserve_timestamps() if preserve else nullcontext():
        return importer.run_csv(blocks, progress)


def _run(
    feed: Feed, preserve: bool, header: list[str] | None, records: Iterator[Record], progress: OnProgress | None
) -> int:
    importer = FeedImporter(feed, preserve=preserve)
    run = importer.run_staged if header is None and importer.staged_json() else importer.run
    with preserve_timestamps() if preserve else nullcontext():
        return run(header, records, progress)  # type: ignore[arg-type]
