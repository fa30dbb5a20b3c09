"""The declarative description of every feed, and the registry that holds them.

A ``Feed`` names its model, its columns in output order, its window timestamp and its
row id. The API, ``export_feed``, ``import_feed``, the system checks and docs/feeds.md's
column lists are all driven from these descriptions. Each app declares its feeds in its
own ``feeds.py``; ``registry()`` collects them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Expression, Q, QuerySet

from feeds import columns as kinds


@dataclass(frozen=True)
class Column:
    """One output column. ``source`` is the model field (or an expression) it reads."""

    name: str
    kind: kinds.Kind = kinds.TEXT
    required: bool = False
    source: str | Expression | None = None
    # A custom player field: imported into the player's custom values, not a model field.
    custom_field: bool = False
    # When a backfill keeps the file's timestamps and the stamp is not a column of the
    # file (game-actions' recorded_at), the stamp copies this column instead.
    stamp_follows: str | None = None

    @property
    def field_name(self) -> str:
        return self.source if isinstance(self.source, str) else self.name

    @property
    def expression(self) -> str | Expression:
        return self.source if self.source is not None else self.name


# Reads a window: (start, end) -> queryset of value tuples in column order.
WindowReader = Callable[[dt.datetime | None, dt.datetime | None], QuerySet]


@dataclass(frozen=True)
class Feed:
    name: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    window_field: str
    id_field: str = "id"
    # tournaments and sport-events may be requested without a window (everything).
    window_optional: bool = False
    # False for game-actions: loaded by import_feed, never served to InTarget.
    served: bool = True
    importable: bool = True
    # When a backfill keeps the file's timestamps and the stamp is not a column of the
    # file (game-actions' recorded_at), the stamp copies this column instead.
    stamp_follows: str | None = None
    # A feed whose rows are not plain model rows (games) supplies its own reader.
    reader: WindowReader | None = None
    # Columns that exist only at run time (custom player fields).
    extra_columns: Callable[[], Sequence[Column]] | None = field(default=None, compare=False)

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables whose writers can put rows into this feed's windows."""
        return (self.model._meta.db_table,)

    def all_columns(self) -> tuple[Column, ...]:
        if self.extra_columns is None:
            return self.columns
        return self.columns + tuple(self.extra_columns())

    def queryset(self, start: dt.datetime | None, end: dt.datetime | None) -> QuerySet:
        """The window's rows in order: (stamp, id), or the feed's own reader's order."""
        if self.reader is not None:
            return self.reader(start, end)
        return rows_in_window(self, start=start, end=end)

    def rows(self, start: dt.datetime | None, end: dt.datetime | None, cols: Sequence[Column]) -> QuerySet:
        """The window's rows as value tuples in ``cols`` order."""
        return self.queryset(start, end).values_list(*(c.expression for c in cols))


def rows_in_window(feed: Feed, *, start: dt.datetime | None, end: dt.datetime | None) -> QuerySet:
    """Rows whose window timestamp ``t`` satisfies ``start <= t < end`` (half-open).

    Ordered by the stored timestamp (with its fraction of a second), then id, so that the
    (window timestamp, id) index serves both the range and the order.
    """
    queryset: QuerySet[Any] = feed.model._default_manager.filter(within(feed.window_field, start, end))
    return queryset.order_by(feed.window_field, feed.id_field)


def within(field: str, start: dt.datetime | None, end: dt.datetime | None) -> Q:
    """``start <= field < end``, the half-open window; an absent bound is open."""
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{field}__gte": start})
    if end is not None:
        condition &= Q(**{f"{field}__lt": end})
    return condition


# Apps whose feeds.py declares a module-level FEEDS tuple.
FEED_APPS = ("players", "payments", "games", "sports")


@cache
def registry() -> dict[str, Feed]:
    found: dict[str, Feed] = {}
    for label in FEED_APPS:
        module = import_module(f"{apps.get_app_config(label).name}.feeds")
        for feed in module.FEEDS:
            found[feed.name] = feed
    return found


def served_feeds() -> dict[str, Feed]:
    return {name: feed for name, feed in registry().items() if feed.served}

