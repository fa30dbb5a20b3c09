"""Load a CSV or JSON file into a feed: upsert by id, all or nothing.

Every cell is parsed by its column's kind. A bad cell refuses the whole file; the
reading goes on to report every bad cell with its line and column, up to
``MAX_FAULTS``, so that one run shows what to fix (a fault of the file's syntax ends the
reading at once). Nothing is written once a fault is found, and everything is written in
one transaction, so a refused file leaves nothing behind. Columns absent from a record
leave an existing row's values untouched; the window timestamp is stamped by the
service unless the import preserves the file's timestamps (history backfills).

The path, top to bottom: a reader (``CsvBlocks`` or ``read_json``, ``loading/readers.py``)
gives records, and runs of lines a pattern vouches for (``Plan.pattern``); ``load`` checks
each record against the ``Plan`` (``loading/plan.py``) and hands what passes to the one
writer, a ``Stage`` (``loading/staging.py``), which upserts it by the statement of
``loading/upsert.py``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import BinaryIO

import psycopg
from django.db import DatabaseError, connection, transaction

from feeds.registry import Feed
from feeds.stamping import preserve_timestamps
from loading.plan import Plan
from loading.read_ahead import read_ahead
from loading.readers import MAX_FAULTS, CsvBlocks, ImportRefused, Lines, Record, read_json
from loading.staging import csv_line, open_stage, staged_text
from loading.upsert import direct_copy, upsert

__all__ = ["MAX_FAULTS", "ImportRefused", "import_file", "import_stream", "load"]

# Rows between two reports to a progress callback: often enough for a bar, rare enough
# to cost nothing.
PROGRESS_EVERY = 1000

OnProgress = Callable[[int], None]  # told the number of records read so far


def import_stream(
    feed: Feed, stream: BinaryIO, format: str, *, preserve: bool = False, progress: OnProgress | None = None
) -> int:
    """Upsert every record of a binary ``stream`` of CSV or JSON (``format``); return how many were read."""
    if format not in ("csv", "json"):
        raise ImportRefused(f"expected csv or json, not {format!r}")
    blocks = CsvBlocks(stream) if format == "csv" else None
    plan = Plan(feed, preserve=preserve)
    with preserve_timestamps() if preserve else nullcontext():
        if blocks is None:
            return load(plan, None, read_json(stream), progress)
        header = blocks.header
        pattern = plan.pattern(header) if set(header) <= set(plan.columns) else None
        if pattern is None:  # custom fields, or an unknown column (refused by load): every record parsed
            return load(plan, header, blocks.records(None), progress)
        items = read_ahead(blocks.records(pattern))
        try:
            return load(plan, header, items, progress)
        finally:
            items.close()  # stop the reading thread now, before the file is closed (at MAX_FAULTS, or a refusal)


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


def load(plan: Plan, header: list[str] | None, items: Iterator[Lines | Record], progress: OnProgress | None = None) -> int:
    """Check and write every item of one file: the one loop of an import; the number of records read.

    ``header`` is a CSV's (None for JSON, whose objects each name their columns). Lines a
    pattern vouched for go to the stage as they were read; a JSON object whose values,
    written as a CSV line, the pattern of its keys vouches for goes as that line. Every
    other record is parsed here, its faults named, and staged as its values.
    """
    if header is not None and (faults := plan.column_faults(header)):
        raise ImportRefused.of(faults)
    count = 0
    # Once a fault is found nothing more is written: the rest is read only to find the
    # other faults, and the transaction is rolled back.
    faults = []
    shape: tuple[str, ...] | None = None  # the keys of the last JSON object checked
    shape_ok = True
    match = None
    with transaction.atomic(), connection.cursor() as wrapper:
        try:
            with open_stage(wrapper.cursor) as stage:
                if header is not None:
                    stage.shape(len(header), upsert(plan, header, stage), direct_copy(plan, header))
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
                                shape_ok = not plan.column_faults(keys, record)
                                if shape_ok and not faults:
                                    names = list(keys)
                                    stage.shape(len(names), upsert(plan, names, stage), direct_copy(plan, names))
                                    pattern = plan.pattern(names)
                                    match = pattern.fullmatch if pattern is not None else None
                            if not shape_ok:
                                faults += plan.column_faults(keys, record)
                                if len(faults) >= MAX_FAULTS:
                                    break
                                continue
                            if not faults and match is not None:
                                line = csv_line(list(record.values.values())).encode()
                                if match(line[:-1]):
                                    stage.write_lines(line)
                                    continue
                            names = list(shape)
                        try:
                            values = plan.parse(record)
                        except ImportRefused as refused:
                            faults += refused.faults
                            if len(faults) >= MAX_FAULTS:
                                break
                            continue
                        if not faults:
                            stage.write_row([staged_text(values.get(name)) for name in names])  # type: ignore[union-attr]
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
