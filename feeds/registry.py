"""The declarative description of every feed, and the registry that holds them.

A ``Feed`` names its model, its columns in output order, its window timestamp and its
row id. The API, ``export_feed``, ``import_feed``, the system checks and docs/feeds.md's
column lists are all driven from these descriptions. Each app declares its feeds in its
own ``feeds.py``; ``registry()`` collects them.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Expression, F, Func, Q, QuerySet, TextField
from django.utils.module_loading import autodiscover_modules

from feeds import columns as kinds
from feeds.served_second import ServedSecond, within_served


@dataclass(frozen=True)
class Column:
    """One output column. ``source`` is the model field (or an expression) it reads."""

    name: str
    kind: kinds.Kind = kinds.TEXT
    required: bool = False
    source: str | Expression | None = None
    # A custom player field: imported into the player's custom values, not a model field.
    custom_field: bool = False

    @property
    def field_name(self) -> str:
        return self.source if isinstance(self.source, str) else self.name

    @property
    def expression(self) -> str | Expression:
        return self.source if self.source is not None else self.name

    def selected(self, *, sqlite_text: bool = False) -> str | Expression:
        """What a query selects for this column: its expression, or, with ``sqlite_text``
        and a kind that says how (``Kind.sqlite_text``), its cell text written by SQLite."""
        template = self.kind.sqlite_text if sqlite_text else None
        if template is None:
            return self.expression
        source = F(self.expression) if isinstance(self.expression, str) else self.expression
        return Func(source, template=template, output_field=TextField())


# Reads a window: (start, end) -> its rows (a feed's: value tuples in column order).
WindowReader = Callable[[dt.datetime | None, dt.datetime | None], QuerySet]


@dataclass(frozen=True)
class Digest:
    """What a feed's digest hashes (assurance.md section 14; computed by serving/digest.py).

    A row's text is its ``columns``, as served in CSV, joined by a tab; the rows are the
    feed's current ones whose ``window`` column, as served, lies in the window. The
    defaults are the contract's for most feeds: the row id and the window timestamp, read
    from the feed's own model by its window index. A feed whose served rows are not its
    model's rows (games: one per session, not per action) gives the ``reader`` of those
    rows, one per id, whose ``window`` column lies in ``[start, end)``.
    """

    columns: tuple[str, ...] = ()  # () : the id column, then the window timestamp's
    window: str | None = None  # None: the column of the feed's window_field
    reader: WindowReader | None = None  # None: the feed's model, by its window field


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
    # Whether that reader's rows come in an order of its own (games: updated_at,
    # session_id), which the database sorts, rather than in the (window timestamp, id)
    # order an index gives. The streams tune the query for one or the other
    # (serving/copy_stream.py). A feed with a reader says which (the system check
    # intarget_export.E005); one without reads rows_in_window, index-ordered.
    orders_own_rows: bool | None = None
    # Columns that exist only at run time (custom player fields).
    extra_columns: Callable[[], Sequence[Column]] | None = field(default=None, compare=False)
    # A feed whose rows are about other feeds (deletions: one tombstone per row deleted
    # from a feed) names the field that says which. Every pull key may ask for it, and a
    # key that opens only some feeds sees only the rows about those (``seen_by``); its
    # rows come in (window timestamp, that feed, id) order.
    feed_field: str | None = None
    # Set by ``seen_by``: the feeds whose rows this copy of the description serves.
    only_about: tuple[str, ...] | None = field(default=None, compare=False)
    # The digest of a window (GET /api/<feed>/digest): which columns make a row's text.
    digest: Digest = Digest()

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables whose writers can put rows into this feed's windows."""
        return (self.model._meta.db_table,)

    def all_columns(self) -> tuple[Column, ...]:
        if self.extra_columns is None:
            return self.columns
        return self.columns + tuple(self.extra_columns())

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError naming it when the feed has none)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"feed {self.name!r} has no column {name!r}")

    def column_of_field(self, field_name: str) -> Column:
        """The column that serves the model field ``field_name`` (KeyError when none
        does: the window field of a feed with a reader of its own, as games')."""
        for column in self.columns:
            if column.field_name == field_name:
                return column
        raise KeyError(f"feed {self.name!r} serves no column of the field {field_name!r}")

    def digest_columns(self) -> tuple[Column, ...]:
        """The columns of a row's digest text, in order (``Digest``)."""
        if not self.digest.columns:
            return (self.column_of_field(self.id_field), self.column_of_field(self.window_field))
        return tuple(self.column(name) for name in self.digest.columns)

    def digest_window(self) -> Column:
        """The column whose value, as served, places a row in a digest's window."""
        if self.digest.window:
            return self.column(self.digest.window)
        return self.column_of_field(self.window_field)

    def digest_rows(self, start: dt.datetime | None, end: dt.datetime | None) -> QuerySet:
        """The current rows whose digest window column lies in ``[start, end)``, unordered."""
        if self.digest.reader is not None:
            rows = self.digest.reader(start, end).order_by()
        else:
            rows = self.model._default_manager.filter(within(self.digest_window().field_name, start, end)).order_by()
        return self.narrowed(rows)

    def queryset(self, start: dt.datetime | None, end: dt.datetime | None) -> QuerySet:
        """The window's rows in order: (stamp, id), or its own reader's rows in theirs;
        for a copy made by ``seen_by``, only the rows about the feeds it names."""
        rows = self.reader(start, end) if self.reader is not None else rows_in_window(self, start=start, end=end)
        return self.narrowed(rows)

    def narrowed(self, rows: QuerySet) -> QuerySet:
        """``rows`` as this copy serves them: for a copy made by ``seen_by``, only the rows
        about the feeds it names (the feed's answer and its digest alike)."""
        if self.only_about is not None and self.feed_field is not None:
            rows = rows.filter(**{f"{self.feed_field}__in": self.only_about})
        return rows

    def seen_by(self, feeds: Sequence[str]) -> Feed:
        """This feed as a key that opens ``feeds`` sees it (an empty list: every feed).
        Only a feed about other feeds (``feed_field``) differs: narrowed to the rows about
        ``feeds``. Every other feed is served whole or refused (access/rules.py)."""
        if self.feed_field is None or not feeds:
            return self
        return replace(self, only_about=tuple(feeds))

    def rows(
        self, start: dt.datetime | None, end: dt.datetime | None, cols: Sequence[Column], *, sqlite_text: bool = False
    ) -> QuerySet:
        """The window's rows as value tuples in ``cols`` order (``sqlite_text``: the
        columns SQLite can write as cell text come as that text, Column.selected)."""
        return self.queryset(start, end).values_list(*(c.selected(sqlite_text=sqlite_text) for c in cols))


def rows_in_window(feed: Feed, *, start: dt.datetime | None, end: dt.datetime | None) -> QuerySet:
    """Rows whose window timestamp ``t`` satisfies ``start <= t < end`` (half-open).

    Ordered by the stored timestamp (with its fraction of a second), then id, so that the
    (window timestamp, id) index serves both the range and the order. A feed about other
    feeds (deletions) by (timestamp as served, feed, id), as assurance.md section 15
    orders it: by the timestamp's second (feeds/served_second.py), whose index serves
    that range and order.
    """
    manager = feed.model._default_manager
    if feed.feed_field is None:
        queryset: QuerySet[Any] = manager.filter(within(feed.window_field, start, end))
        return queryset.order_by(feed.window_field, feed.id_field)
    queryset = manager.filter(within_served(feed.window_field, start, end))
    return queryset.order_by(ServedSecond(F(feed.window_field)), feed.feed_field, feed.id_field)


def within(field: str, start: dt.datetime | None, end: dt.datetime | None) -> Q:
    """``start <= field < end``, the half-open window; an absent bound is open."""
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{field}__gte": start})
    if end is not None:
        condition &= Q(**{f"{field}__lt": end})
    return condition


@cache
def registry() -> dict[str, Feed]:
    """Every feed, by name: the ``FEEDS`` of each installed app's ``feeds.py``, in the
    order of INSTALLED_APPS (then of each ``FEEDS``), which is the order the API's
    document, the docs page and the README list them in."""
    autodiscover_modules("feeds")
    found: dict[str, Feed] = {}
    for config in apps.get_app_configs():
        # None for an app without feeds.py; another package's feeds module (as
        # django.contrib.gis has, were it installed) declares no FEEDS.
        module = sys.modules.get(f"{config.name}.feeds")
        for feed in getattr(module, "FEEDS", ()):
            found[feed.name] = feed
    return found


def served_feeds() -> dict[str, Feed]:
    return {name: feed for name, feed in registry().items() if feed.served}

