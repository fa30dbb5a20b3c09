"""PostgreSQL triggers that stamp every feed row's window timestamp from the database clock.

Every write path goes through them: the ORM, bulk upserts, ``import_feed``, the admin,
and plain SQL written into the tables by other systems. On each inserted or updated row:

1. ``pg_current_xact_id()`` first. The finality check (``serving/finality.py``) waits for open
   transactions *that have an id*; a trigger that read the clock before the transaction
   had one could stamp a row that the check cannot see (no-row-lost.md, race 2).
2. ``clock_timestamp()``, the time of the write itself. ``now()`` is the transaction's
   start: a transaction that began before a window edge and wrote after the window was
   served would stamp its row into the served window (race 1).
3. On update, never earlier than the old stamp (``GREATEST``): a row never moves back
   into a served window, even if the clock steps back or writers race.

A session that sets ``intarget.preserve_timestamps`` to ``on`` (history backfills with
``import_feed --preserve-timestamps``; test factories) keeps the values it writes.
"""

from __future__ import annotations

from typing import Any

from feeds.db_triggers import Trigger, TriggerSet

PRESERVE_SETTING = "intarget.preserve_timestamps"

# table -> window timestamp column, written out for the migrations that install the
# triggers (install() is idempotent: a later migration may run it again after a change).
# tests/serving/test_no_row_lost.py checks that it covers every stamped model.
STAMPED_TABLES = {
    "players_player": "modified_at",
    "players_contact": "modified_at",
    "players_login": "created_at",
    "payments_transaction": "updated_at",
    "payments_wallet": "modified_at",
    "games_gameaction": "recorded_at",
    "sports_tournament": "modified_at",
    "sports_sportevent": "modified_at",
    "sports_bet": "modified_at",
    "sports_betselection": "updated_at",
}

_FUNCTION = """
CREATE OR REPLACE FUNCTION {table}_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('{preserve}', true) = 'on' THEN
        RETURN NEW;
    END IF;
    PERFORM pg_current_xact_id();
    IF TG_OP = 'UPDATE' THEN
        NEW.{column} := GREATEST(clock_timestamp(), OLD.{column});
    ELSE
        NEW.{column} := clock_timestamp();
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS stamp ON {table};
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_stamp();
"""

_DROP = "DROP TRIGGER IF EXISTS stamp ON {table}; DROP FUNCTION IF EXISTS {table}_stamp();"


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in STAMPED_TABLES.items():
        schema_editor.execute(_FUNCTION.format(table=table, column=column, preserve=PRESERVE_SETTING))


def uninstall(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in STAMPED_TABLES:
        schema_editor.execute(_DROP.format(table=table))


def triggers(vendor: str) -> tuple[Trigger, ...]:
    """On SQLite the service stamps rows itself (feeds/stamping.py): no trigger."""
    if vendor != "postgresql":
        return ()
    return tuple(Trigger(table, "stamp") for table in STAMPED_TABLES)


# Kept in place by feeds/db_triggers.py (registered in FeedsConfig.ready).
TRIGGER_SET = TriggerSet(
    name="stamping",
    loss="rows written to it keep the change time their writer gives, not the database clock's, "
    "and may land in a window already served",
    triggers=triggers,
    install=install,
    uninstall=uninstall,
)
