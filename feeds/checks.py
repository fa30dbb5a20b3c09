"""System checks: a feed description that does not fit its model fails ``manage.py check``,
and a database that lacks a trigger the feeds' rows need fails ``manage.py check
--database default``. Registered by ``FeedsConfig.ready``; the ids keep their
``intarget_export.`` prefix, which operators' scripts and the docs name."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, connections

from feeds import columns as kinds
from feeds import db_triggers
from feeds.registry import Feed, registry


def _field_errors(feed: Feed) -> list[checks.CheckMessage]:
    errors = []
    opts = feed.model._meta
    names = {field.name for field in opts.get_fields()} | {
        getattr(field, "attname", field.name) for field in opts.get_fields()
    }
    # A feed's own reader makes its rows (games: sessions), so its columns need not be fields.
    if feed.reader is None:
        for column in feed.columns:
            if column.field_name not in names:
                errors.append(
                    checks.Error(
                        f"feed {feed.name!r}: column {column.name!r} reads {column.field_name!r}, "
                        f"which is not a field of {opts.label}",
                        hint="Set the column's source to the model field it comes from.",
                        id="intarget_export.E001",
                    )
                )
    try:
        opts.get_field(feed.window_field)
    except FieldDoesNotExist:
        errors.append(
            checks.Error(
                f"feed {feed.name!r}: window field {feed.window_field!r} is not a field of {opts.label}",
                id="intarget_export.E002",
            )
        )
    indexed_first = {index.fields[0] for index in opts.indexes}
    if feed.window_field not in indexed_first:
        errors.append(
            checks.Error(
                f"feed {feed.name!r}: no index starts with its window field {feed.window_field!r}",
                hint="Add models.Index(fields=[window_field, id]) so that a window is a range scan.",
                id="intarget_export.E003",
            )
        )
    if feed.importable and getattr(feed.model, "window_field", None) != feed.window_field:
        errors.append(
            checks.Error(
                f"feed {feed.name!r}: the model stamps {getattr(feed.model, 'window_field', None)!r} "
                f"but the feed's window field is {feed.window_field!r}",
                id="intarget_export.E004",
            )
        )
    return errors


def _ordering_errors(feed: Feed) -> list[checks.CheckMessage]:
    """The streams tune a feed's query for the order its rows come in (an index's, or
    one the database sorts): a feed's own reader must say which; without one, the rows
    are rows_in_window's, in index order."""
    if feed.reader is not None and feed.orders_own_rows is None:
        return [
            checks.Error(
                f"feed {feed.name!r} has a reader of its own but does not say in which order its rows come",
                hint="Set orders_own_rows=True if the reader sorts its rows in an order of its own, "
                "False if they come in (window timestamp, id) order.",
                id="intarget_export.E005",
            )
        ]
    if feed.reader is None and feed.orders_own_rows:
        return [
            checks.Error(
                f"feed {feed.name!r} says its rows come in an order of their own, but it has no reader: "
                "they are read in (window timestamp, id) order",
                hint="Remove orders_own_rows, or give the feed the reader that orders its rows.",
                id="intarget_export.E006",
            )
        ]
    return []


def _digest_errors(feed: Feed) -> list[checks.CheckMessage]:
    """A served feed's digest (serving/digest.py) names columns it serves, each of a kind
    both databases can write as its exact cell text in SQL, and a window column that is
    a timestamp, first in one of its model's indexes (unless a reader of its own reads it)."""
    if not feed.served:
        return []
    try:
        columns, window = feed.digest_columns(), feed.digest_window()
    except KeyError as error:
        return [checks.Error(f"feed {feed.name!r}: its digest names {error.args[0]}", id="intarget_export.E007")]
    errors = [
        checks.Error(
            f"feed {feed.name!r}: digest column {column.name!r} is of a kind ({type(column.kind).__name__}) "
            "that SQL cannot write as its exact CSV text on every database",
            hint="Give the kind a sql_text and a sqlite_cell (feeds/columns.py), or leave the column out of the digest.",
            id="intarget_export.E008",
        )
        for column in columns
        if column.kind.sql_text is None or column.kind.sqlite_cell is None
    ]
    opts = feed.model._meta
    indexed_first = {index.fields[0] for index in opts.indexes}
    # A digest reader of its own chooses its index (games: the sessions' span).
    indexed = feed.digest.reader is not None or window.field_name in indexed_first
    if not isinstance(window.kind, kinds.Timestamp) or not indexed:
        errors.append(
            checks.Error(
                f"feed {feed.name!r}: the digest's window column {window.name!r} must be a timestamp field of "
                f"{opts.label} that an index starts with",
                hint="Add models.Index(fields=[window field, id]) so that a digest's window is a range scan.",
                id="intarget_export.E009",
            )
        )
    return errors


@checks.register()
def check_feeds(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for feed in registry().values():
        errors.extend(_field_errors(feed))
        errors.extend(_ordering_errors(feed))
        errors.extend(_digest_errors(feed))
    return errors


TRIGGERS_UNREADABLE = "the triggers the feeds' rows need could not be checked: the database refused this role the read"
TRIGGERS_UNREADABLE_HINT = (
    "Run manage.py check --database default as the role that migrates, or let this role read django_migrations "
    "and the catalog (GRANT SELECT ON django_migrations TO <role>)."
)
TRIGGERS_HINT = (
    "Run manage.py migrate --skip-checks: its last step installs again every set of triggers the database lacks "
    "(feeds/db_triggers.py); a plain migrate stops here, so that a loss is seen. Rows changed while the trigger "
    "was missing may not have reached consumers: docs/deletions.md, \"When a trigger is missing\"."
)


@checks.register(checks.Tags.database)
def check_triggers(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every trigger of every registered set (stamping, games sessions, deletions) is on
    its table in the database, and fires.

    Only on a database at the code's head. Django 5.2's ``migrate`` runs the database
    checks (for its database) before it migrates; a database with a migration to apply
    (unmigrated, or an upgrade) is one that migrate is about to change: a pending
    migration may be the one that installs a set, or rebuild a table, and migrate's last
    step (``db_triggers.reinstall_lacking``) installs every lacking set once its tables
    exist. Reporting then would only stop the migrate that makes it right; readiness
    (``/readyz``) fails on the pending migration meanwhile. At the head, nothing will put
    a lost trigger back, and rows are being lost: an error, which also stops a plain
    ``migrate`` with nothing to apply (the hint says how to install them anyway).
    """
    if not databases or "default" not in databases:
        return []
    connection = connections["default"]
    try:
        if not db_triggers.at_head(connection):
            return []
        lacks = db_triggers.lacking(connection)
    except DatabaseError:
        # A role that may not read the migrations or the catalog (the service's own role,
        # made without privileges: the privilege checks name what it lacks). Said, not a
        # traceback that hides the other checks; the server's text is not shown (it may
        # name the database's internals).
        return [checks.Error(TRIGGERS_UNREADABLE, hint=TRIGGERS_UNREADABLE_HINT, id="intarget_export.E015")]
    return [checks.Error(str(lack), hint=TRIGGERS_HINT, id="intarget_export.E015") for lack in lacks]
