"""How an import reads each column of a feed: worked out once, used for every record."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from feeds.columns import Text
from feeds.registry import Column, Feed
from feeds.stamping import clock
from loading.line_pattern import line_pattern
from loading.readers import Fault, ImportRefused, Record


class ColumnPlan(NamedTuple):
    """How the cells of one column are read (None in its place: a column not read at all,
    the window timestamp the service stamps)."""

    parse: Callable[[str], Any] | None  # the kind's parse; None: free text, taken as it is (but for NUL)
    target: str  # the model field it sets, or the custom field's name
    required: bool
    custom: bool  # a custom player field: merged into the stored custom values
    must_be_past: bool  # a kept window timestamp (--preserve-timestamps): none may be in the future


class Plan:
    """What an import of one feed reads: its columns, each one's ``ColumnPlan``, and the
    checks of a record (its columns, then its cells) against them."""

    def __init__(self, feed: Feed, *, preserve: bool):
        self.feed = feed
        self.preserve = preserve
        self.model = feed.model
        self.columns = {column.name: column for column in feed.all_columns()}
        self.stamp_column = next(
            (c.name for c in self.columns.values() if c.field_name == feed.window_field), None
        )
        # A kept stamp in the future would pin the row there: every later change keeps
        # the later of the clock and the old stamp.
        self.latest_stamp = clock() if preserve else None
        self.reads = {name: self._read(column) for name, column in self.columns.items()}

    def _read(self, column: Column) -> ColumnPlan | None:
        if column.name == self.stamp_column and not self.preserve:
            return None
        target = column.name if column.custom_field else column.field_name
        must_be_past = bool(self.latest_stamp) and column.field_name in (self.feed.window_field, self.feed.stamp_follows)
        kind = column.kind
        # Free text needs no parse call (a third of the cells of a typical file).
        parse = None if type(kind) is Text and not kind.choices and not kind.max_length else kind.parse
        return ColumnPlan(parse, target, column.required, column.custom_field, must_be_past)

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

    def parse(self, record: Record) -> dict[str, Any]:
        """The record's values by column name, each parsed by its column's kind (the columns
        not read left out); raise naming every bad cell."""
        values: dict[str, Any] = {}
        faults: list[Fault] = []
        for name, text in record.values.items():
            plan = self.reads[name]
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
            values[name] = value
        if faults:
            raise ImportRefused.of(faults)
        return values

    def pattern(self, names: list[str]) -> re.Pattern[bytes] | None:
        """The pattern of a good record with the columns ``names`` (``line_pattern``), None when
        some column has no fast form: every record is then parsed here."""
        before = self.latest_stamp.astimezone(dt.timezone.utc).date() if self.latest_stamp else None
        kinds_of = {name: column.kind for name, column in self.columns.items()}
        return line_pattern(self.reads, kinds_of, names, before)
