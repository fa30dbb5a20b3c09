"""The one upsert of an import: staged cells into a feed's table by id, on either database.

Every record reaches the table as the text of its cells, staged (``loading/staging.py``):
a line as it was read, or a parsed record's values written back as canonical text. This
module builds, for one set of columns, the statement that converts those cells in SQL and
upserts them, and the plain COPY straight into the table that the same cells can take
when nothing needs converting beyond what COPY does. The engines differ only in what
``Stage`` writes for a cell, a conversion or a custom-values object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import connection
from django.utils import timezone

if TYPE_CHECKING:
    from loading.plan import Plan
    from loading.staging import Stage


class Upsert(NamedTuple):
    """``{insert} SELECT {selected} FROM staging {on_conflict}`` (PostgreSQL), or
    ``{insert} VALUES ({selected}) {on_conflict}`` for each row (SQLite)."""

    insert: str  # INSERT INTO "table" ("column", …)
    selected: str  # what a row inserts: its cells converted, the stamp, defaults
    key: str  # the SQL of a row's id (DISTINCT ON, when one is given twice)
    on_conflict: str  # ON CONFLICT ("id") DO UPDATE SET … (or DO NOTHING)
    params: list[Any]  # the values the same for every row (the stamp, defaults), after the cells


def upsert(plan: Plan, header: list[str], stage: Stage) -> Upsert:
    """The upsert of records with the columns ``header`` (in this order), staged in ``stage``."""
    opts = plan.model._meta
    table = opts.db_table
    pk = opts.pk.attname
    window_field = plan.model.window_field  # type: ignore[attr-defined]
    stamp_follows = plan.feed.stamp_follows
    names: list[str] = []
    values: list[str] = []
    params: list[Any] = []
    custom: list[tuple[str, str]] = []  # custom fields: (name, cell), merged into the stored custom values
    for i, name in enumerate(header):
        read = plan.reads[name]
        if read is None:
            continue
        if read.custom:
            custom.append((read.target, stage.cell(i)))
        else:
            names.append(read.target)
            values.append(stage.convert(plan.columns[name].kind, stage.cell(i)))
    if plan.preserve and stamp_follows and window_field not in names and stamp_follows in names:
        names.append(window_field)
        values.append(values[names.index(stamp_follows)])
    updated = [name for name in names if name != pk]
    if window_field not in names:
        # PostgreSQL: a placeholder for NOT NULL, the trigger stamps the row. SQLite:
        # the stamp, taken under the write lock (IMMEDIATE transactions).
        names.append(window_field)
        values.append(stage.extra(len(header) + len(params)))
        params.append(opts.get_field(window_field).get_db_prep_value(timezone.now(), connection))
    if custom:
        names.append("custom")
        values.append(stage.custom_values(custom))
    # Columns the file leaves out but that are NOT NULL with a default (custom = {}):
    # given on insert, never overwritten on conflict.
    for field in opts.concrete_fields:
        if field.attname not in names and not field.null and field.has_default():
            names.append(field.attname)
            values.append(stage.extra(len(header) + len(params)))
            params.append(field.get_db_prep_value(field.get_default(), connection))

    def column(name: str) -> str:
        return f'"{opts.get_field(name).column}"'

    updated_sql = [f"{column(name)} = EXCLUDED.{column(name)}" for name in updated]
    if custom:
        # The file's custom values merged into the stored ones; an absent value clears one.
        updated_sql.append(f'"custom" = {stage.custom_merge(f"{table}", custom)}')
    if updated_sql and window_field not in updated:
        if connection.vendor == "postgresql":
            # An updated row is stamped again (the trigger takes the later of now and the old stamp).
            updated_sql.append(f"{column(window_field)} = EXCLUDED.{column(window_field)}")
        else:  # a stamp never goes back (StampedModel.stamp)
            updated_sql.append(f'{column(window_field)} = MAX(EXCLUDED.{column(window_field)}, "{table}".{column(window_field)})')
    conflict = f"DO UPDATE SET {', '.join(updated_sql)}" if updated_sql else "DO NOTHING"
    insert = f'INSERT INTO "{table}" ({", ".join(column(name) for name in names)})'
    return Upsert(insert, ", ".join(values), values[names.index(pk)], f'ON CONFLICT ("{opts.pk.column}") {conflict}', params)


def direct_copy(plan: Plan, header: list[str]) -> str | None:
    """PostgreSQL: the COPY straight into the feed's table that the file's lines can take,
    when every column the table needs is in the file as it is: None otherwise."""
    opts = plan.model._meta
    window_field = plan.model.window_field  # type: ignore[attr-defined]
    if any(read is not None and read.custom for read in map(plan.reads.get, header)):
        return None  # custom values are merged into a JSON column, not copied
    names = [plan.columns[name].field_name if plan.reads[name] is None else plan.reads[name].target for name in header]  # type: ignore[union-attr]
    if plan.preserve and window_field not in names:
        return None  # kept stamps that come from another column, or a placeholder
    for field in opts.concrete_fields:
        if field.attname not in names and not field.null and field.has_default():
            return None  # a default Django gives, not the database
    columns = ", ".join(f'"{opts.get_field(name).column}"' for name in names)
    # FORCE_NULL: a quoted empty cell is an absent value too, as everywhere in imports.
    return f'COPY "{opts.db_table}" ({columns}) FROM STDIN (FORMAT csv, FORCE_NULL ({columns}))'
