"""Database triggers that leave a tombstone for every row deleted from a served feed,
whoever deletes it: the admin, ``delete_rows``, the ORM, plain SQL (PostgreSQL).

A tombstone is written in the deleting transaction itself, as every stamp is
(feeds/db_stamping.py), so the deletions feed is final on the same terms as any other:

- PostgreSQL: ``pg_current_xact_id()`` first, then ``clock_timestamp()``, inside an
  ``INSERT`` into ``deletions_tombstone``, whose lock the statement takes before it reads
  the clock. So a transaction that could still commit a tombstone into a window has an
  id, began before the window's end and holds a lock on ``deletions_tombstone``: the
  writers finality waits for (serving/finality.py). Deletions are statement-level
  triggers with the deleted rows as a transition table: one ``INSERT`` per statement.
- SQLite: row triggers, inside the deleting statement, under the database's write lock;
  the clock is SQLite's (the machine's, to the millisecond), as the service's stamps
  there are the machine's. Plain SQL deletes are caught there too.

Order, to the second as served (feeds.md writes whole seconds), so that a consumer that
applies rows and tombstones in time order ends where the database is:

- a tombstone is never dated at or before the version it deletes: ``deleted_at`` is the
  clock, or the next whole second after the row's window timestamp when that is later;
- a row inserted again after its deletion is stamped after its tombstone: when its stamp
  falls in the tombstone's second (or before it), it moves to the next whole second.

What counts as a deletion of a feed's row: a ``DELETE``; on PostgreSQL a ``TRUNCATE``
(every row); a change of the row's id (the old id leaves the feed). For ``games`` the
rows are the sessions the database keeps in ``games_gamesession`` (games/
session_triggers.py): a session whose last action goes (deleted, or moved to another
session) leaves a ``games`` tombstone; one that keeps actions is served again
(its ``revised_at``). So does a session's row deleted (or, on PostgreSQL, truncated)
directly, by hand, its actions kept: once, as the session triggers delete a row only
when its last action goes. Its ``updated_at`` is its last action's time (feeds.md), so a
session that comes back after its tombstone gets at least the next second after it.

A session that keeps its timestamps (``intarget.preserve_timestamps``; on SQLite the
service's ``intarget_preserving()``: history backfills, the demo, test data) keeps them,
but for one exception, as no row may be lost (assurance.md section 15): a row whose id
has a tombstone dated in its stamp's second or after it is moved to the next whole
second after that tombstone, as above. And such a session's tombstones are dated the
second after the row they delete, not by the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from feeds.db_stamping import PRESERVE_SETTING
from feeds.db_triggers import Trigger, TriggerSet
from feeds.stamping import SQLITE_PRESERVING

TOMBSTONES = "deletions_tombstone"


@dataclass(frozen=True)
class Tracked:
    """A table whose rows are a served feed's: deleting one leaves a tombstone."""

    table: str
    feed: str
    id_column: str
    # The window timestamp the feed serves the row with.
    stamp_column: str

    @property
    def is_sessions(self) -> bool:
        return self.table == "games_gamesession"


# Written out for the migrations (install() is idempotent: a later migration may run it
# again after a change); tests/deletions/test_tombstone_coverage.py checks it against the
# registry: every served feed but deletions itself.
TRACKED = (
    Tracked("players_player", "users", "id", "modified_at"),
    Tracked("players_contact", "contacts", "player_id", "modified_at"),
    Tracked("players_login", "logins", "id", "created_at"),
    Tracked("payments_transaction", "transactions", "id", "updated_at"),
    Tracked("payments_wallet", "wallets", "id", "modified_at"),
    Tracked("sports_tournament", "tournaments", "id", "modified_at"),
    Tracked("sports_sportevent", "sport-events", "id", "modified_at"),
    Tracked("sports_bet", "bets", "id", "modified_at"),
    Tracked("sports_betselection", "bet-selections", "id", "updated_at"),
    # games serves sessions, which the session triggers keep from the game actions.
    Tracked("games_gamesession", "games", "session_id", "updated_at"),
)

# --- PostgreSQL -------------------------------------------------------------------------

# When a row with window timestamp `stamp` is deleted now; in a session that keeps its
# timestamps (a backfill, the demo, test data), the second after the row's own.
_PG_DELETED_AT = (
    f"CASE WHEN current_setting('{PRESERVE_SETTING}', true) = 'on'"
    " THEN date_trunc('second', {stamp}) + interval '1 second'"
    " ELSE GREATEST(clock_timestamp(), date_trunc('second', {stamp}) + interval '1 second') END"
)
# The earliest stamp a row may carry after tombstones dated up to `deleted_at`.
_PG_AFTER = "date_trunc('second', {deleted_at}) + interval '1 second'"


def _pg_tombstones(t: Tracked) -> str:
    # Every deleted row. For games: a session the session triggers delete when its last
    # action goes (they never delete one otherwise), or one deleted by hand (its actions
    # stay; their next change makes the session again, after this tombstone).
    deleted_at = _PG_DELETED_AT.format(stamp=f"g.{t.stamp_column}")
    return f"""
CREATE OR REPLACE FUNCTION deletions_{t.table}_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_current_xact_id();
    INSERT INTO {TOMBSTONES} (feed, row_id, deleted_at)
    SELECT '{t.feed}', g.{t.id_column}, {deleted_at} FROM gone g;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS deletions_gone ON {t.table};
CREATE TRIGGER deletions_gone AFTER DELETE ON {t.table} REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION deletions_{t.table}_gone();

CREATE OR REPLACE FUNCTION deletions_{t.table}_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_current_xact_id();
    INSERT INTO {TOMBSTONES} (feed, row_id, deleted_at)
    VALUES ('{t.feed}', OLD.{t.id_column}, {_PG_DELETED_AT.format(stamp=f"OLD.{t.stamp_column}")});
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS deletions_renamed ON {t.table};
CREATE TRIGGER deletions_renamed AFTER UPDATE OF {t.id_column} ON {t.table}
    FOR EACH ROW WHEN (OLD.{t.id_column} IS DISTINCT FROM NEW.{t.id_column})
    EXECUTE FUNCTION deletions_{t.table}_renamed();
"""


def _pg_truncate(t: Tracked) -> str:
    """TRUNCATE deletes every row, without row triggers: their tombstones first. (Django's
    flush truncates the tombstones in the same statement, after every BEFORE trigger.)"""
    return f"""
CREATE OR REPLACE FUNCTION deletions_{t.table}_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_current_xact_id();
    INSERT INTO {TOMBSTONES} (feed, row_id, deleted_at)
    SELECT '{t.feed}', g.{t.id_column}, {_PG_DELETED_AT.format(stamp=f"g.{t.stamp_column}")} FROM {t.table} g;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS deletions_truncated ON {t.table};
CREATE TRIGGER deletions_truncated BEFORE TRUNCATE ON {t.table}
    FOR EACH STATEMENT EXECUTE FUNCTION deletions_{t.table}_truncated();
"""


def _pg_reinserted(t: Tracked) -> str:
    """After an INSERT statement: the rows of it whose stamp lies in the second of a
    tombstone of theirs (or before it) move to the next second.

    Stamped by the clock, one index probe per statement, not per row: a row stamped by
    this statement has a stamp no earlier than the statement's start, so only tombstones
    from that second on can concern it, and there are nearly never any. Run after the
    rows are in, so after any wait for a concurrent deleter of the same id (the unique
    index), whose tombstone this statement's snapshot then sees. The move writes the
    stamp itself (the stamping trigger is told to keep it, for this one statement).

    Kept stamps (a backfill) may lie at any time before: the statement's rows (the
    transition table ``added``) are looked up among the feed's tombstones, once there
    are any. Capturing ``added`` costs every insert a copy of its rows (300k
    transactions by COPY: 2.71 s against 2.83 s, best of 4; docs/importing.md).
    """
    recent = f"deleted_at >= date_trunc('second', statement_timestamp()) AND feed = '{t.feed}'"
    kept = (
        f"SELECT b.row_id, {_PG_AFTER.format(deleted_at='max(b.deleted_at)')} AS after FROM {TOMBSTONES} b"
        f" WHERE b.feed = '{t.feed}' AND b.row_id IN (SELECT {t.id_column} FROM added) GROUP BY b.row_id"
    )
    return f"""
CREATE OR REPLACE FUNCTION deletions_{t.table}_back() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    preserve text := current_setting('{PRESERVE_SETTING}', true);
BEGIN
    IF preserve = 'on' THEN
        IF EXISTS (SELECT 1 FROM {TOMBSTONES} WHERE feed = '{t.feed}') THEN
            UPDATE {t.table} r SET {t.stamp_column} = t.after FROM ({kept}) t
            WHERE r.{t.id_column} = t.row_id AND r.{t.stamp_column} < t.after;
        END IF;
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM {TOMBSTONES} WHERE {recent}) THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('{PRESERVE_SETTING}', 'on', true);
    UPDATE {t.table} r SET {t.stamp_column} = t.after
    FROM (SELECT row_id, {_PG_AFTER.format(deleted_at="max(deleted_at)")} AS after
          FROM {TOMBSTONES} WHERE {recent} GROUP BY row_id) t
    WHERE r.{t.id_column} = t.row_id AND r.{t.stamp_column} < t.after;
    PERFORM set_config('{PRESERVE_SETTING}', coalesce(preserve, ''), true);
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS deletions_back ON {t.table};
CREATE TRIGGER deletions_back AFTER INSERT ON {t.table} REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION deletions_{t.table}_back();
"""


def _pg_session_back(t: Tracked) -> str:
    """A session's updated_at is its last action's time, from the product: it may lie long
    before the session's tombstone. Every write of a session row that has tombstones
    keeps it after the latest (the session triggers write a session's row once per
    statement of actions, so one probe per session, not per action), in a backfill that
    keeps its timestamps too."""
    return f"""
CREATE OR REPLACE FUNCTION deletions_{t.table}_back() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    after timestamptz;
BEGIN
    SELECT {_PG_AFTER.format(deleted_at="max(deleted_at)")} INTO after
    FROM {TOMBSTONES} WHERE feed = '{t.feed}' AND row_id = NEW.{t.id_column};
    IF after > NEW.{t.stamp_column} THEN
        NEW.{t.stamp_column} := after;
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS deletions_back ON {t.table};
CREATE TRIGGER deletions_back BEFORE INSERT OR UPDATE ON {t.table}
    FOR EACH ROW EXECUTE FUNCTION deletions_{t.table}_back();
"""


def _pg_install(t: Tracked) -> str:
    if t.is_sessions:
        # Truncating the actions deletes the sessions (games_gamesession_truncated: a
        # DELETE, whose tombstones deletions_gone writes); truncating the sessions
        # themselves leaves theirs here. Both at once: the sessions' BEFORE TRUNCATE
        # writes them, and the actions' AFTER TRUNCATE then finds no session left.
        return _pg_tombstones(t) + _pg_truncate(t) + _pg_session_back(t)
    return _pg_tombstones(t) + _pg_truncate(t) + _pg_reinserted(t)


def _pg_uninstall(t: Tracked) -> str:
    return "".join(
        f"DROP TRIGGER IF EXISTS deletions_{name} ON {t.table}; DROP FUNCTION IF EXISTS deletions_{t.table}_{name}();\n"
        for name in ("gone", "renamed", "truncated", "back")
    )


# --- SQLite -----------------------------------------------------------------------------

# SQLite's clock as Django writes datetimes there (UTC text), to the millisecond.
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _sqlite_deleted_at(stamp: str) -> str:
    # Text compares as time: both are YYYY-MM-DD HH:MM:SS[.fraction].
    return f"max({_SQLITE_NOW}, datetime({stamp}, '+1 second'))"


def _sqlite_after(t: Tracked, row: str) -> str:
    """The tombstones of ``row`` (NEW) that its stamp does not follow by a second, and
    the statement that moves it past them; in a backfill that keeps its timestamps too."""
    mine = f"feed = '{t.feed}' AND row_id = {row}.{t.id_column}"
    when = f"EXISTS (SELECT 1 FROM {TOMBSTONES} WHERE {mine} AND deleted_at >= datetime({row}.{t.stamp_column}))"
    # Never earlier than the row's stamp now: another trigger (a games session made whole
    # again, games/session_triggers.py) may have moved it on since NEW was written.
    move = (
        f"UPDATE {t.table} SET {t.stamp_column} = max({t.stamp_column}, (SELECT datetime(max(deleted_at), '+1 second')"
        f" FROM {TOMBSTONES} WHERE {mine})) WHERE {t.id_column} = {row}.{t.id_column};"
    )
    return f"WHEN {when} BEGIN {move} END"


def _sqlite_install(t: Tracked) -> list[str]:
    tombstone = (
        f"INSERT INTO {TOMBSTONES} (feed, row_id, deleted_at)"
        f" VALUES ('{t.feed}', OLD.{t.id_column}, {_sqlite_deleted_at(f'OLD.{t.stamp_column}')});"
    )
    # Every deleted row, a games session too: the session triggers delete one only when
    # its last action goes (games/session_triggers.py recomputes a session in place).
    statements = [
        f"CREATE TRIGGER deletions_{t.table}_gone AFTER DELETE ON {t.table} BEGIN {tombstone} END",
        f"CREATE TRIGGER deletions_{t.table}_renamed AFTER UPDATE OF {t.id_column} ON {t.table}"
        f" WHEN OLD.{t.id_column} IS NOT NEW.{t.id_column} BEGIN {tombstone} END",
    ]
    if t.is_sessions:
        # Written only by the session triggers, which update a session's updated_at in
        # place too.
        statements += [
            f"CREATE TRIGGER deletions_{t.table}_back AFTER INSERT ON {t.table} {_sqlite_after(t, 'NEW')}",
            f"CREATE TRIGGER deletions_{t.table}_back_again AFTER UPDATE OF {t.stamp_column} ON {t.table}"
            f" {_sqlite_after(t, 'NEW')}",
        ]
    return statements


def _sqlite_uninstall(t: Tracked) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS deletions_{t.table}_{name}" for name in ("gone", "renamed", "back", "back_again")
    ]


# On SQLite the service, not the database, stamps rows (feeds/stamping.py): a program
# writing the file with plain SQL stamps nothing, and knows none of the service's
# functions, which SQLite resolves when it compiles a trigger. So the move of a row
# inserted again past its tombstone is a TEMP trigger of each of the service's own
# connections (on a table of the file), as the stamps are the service's own.
# And, when such a connection keeps its timestamps, the date of its tombstones: the
# table's TEMP trigger (SQLite fires TEMP triggers first) notes the second after the
# deleted row's stamp, and the tombstone the persistent trigger then writes takes it.
_SQLITE_KEPT = [
    "CREATE TEMP TABLE IF NOT EXISTS deletions_kept (feed TEXT, row_id TEXT, deleted_at TEXT)",
    f"CREATE TEMP TRIGGER IF NOT EXISTS deletions_kept_date AFTER INSERT ON {TOMBSTONES}"
    " WHEN EXISTS (SELECT 1 FROM deletions_kept k WHERE k.feed = NEW.feed AND k.row_id = NEW.row_id) BEGIN"
    f" UPDATE {TOMBSTONES} SET deleted_at = (SELECT k.deleted_at FROM deletions_kept k"
    " WHERE k.feed = NEW.feed AND k.row_id = NEW.row_id) WHERE id = NEW.id;"
    " DELETE FROM deletions_kept WHERE feed = NEW.feed AND row_id = NEW.row_id; END",
]


def _sqlite_service_triggers() -> list[str]:
    statements = list(_SQLITE_KEPT)
    for t in TRACKED:
        if not t.is_sessions:
            statements.append(
                f"CREATE TEMP TRIGGER IF NOT EXISTS deletions_{t.table}_back AFTER INSERT ON {t.table} "
                f"{_sqlite_after(t, 'NEW')}"
            )
        statements.append(
            f"CREATE TEMP TRIGGER IF NOT EXISTS deletions_{t.table}_kept AFTER DELETE ON {t.table}"
            f" WHEN {SQLITE_PRESERVING}() BEGIN INSERT INTO deletions_kept (feed, row_id, deleted_at)"
            f" VALUES ('{t.feed}', OLD.{t.id_column}, datetime(OLD.{t.stamp_column}, '+1 second')); END"
        )
    return statements


def add_service_triggers(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """``connection_created`` receiver (deletions/apps.py), also run by the migration that
    makes the tombstones' table: this connection's TEMP triggers, once the table exists."""
    if connection is None or connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [TOMBSTONES])
        if cursor.fetchone() is None:  # not migrated yet
            return
        for statement in _sqlite_service_triggers():
            cursor.execute(statement, None)


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for tracked in TRACKED:
            schema_editor.execute(_pg_install(tracked))
        return
    uninstall(apps, schema_editor)
    for tracked in TRACKED:
        for statement in _sqlite_install(tracked):
            # No parameters: the text is run as written (strftime's % signs included).
            schema_editor.execute(statement, None)
    add_service_triggers(connection=schema_editor.connection)


def uninstall(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for tracked in TRACKED:
            schema_editor.execute(_pg_uninstall(tracked))
        return
    for tracked in TRACKED:
        for statement in _sqlite_uninstall(tracked):
            schema_editor.execute(statement, None)
    for tracked in TRACKED:
        for name in ("back", "kept"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS temp.deletions_{tracked.table}_{name}", None)
    schema_editor.execute("DROP TRIGGER IF EXISTS temp.deletions_kept_date", None)


def triggers(vendor: str) -> tuple[Trigger, ...]:
    """Those ``install`` makes, with (SQLite) the TEMP ones of the connection asking."""
    if vendor == "postgresql":
        return tuple(
            Trigger(t.table, f"deletions_{name}")
            for t in TRACKED
            for name in ("gone", "renamed", "truncated", "back")
        )
    made = [Trigger(TOMBSTONES, "deletions_kept_date", temp=True)]
    for t in TRACKED:
        made += [Trigger(t.table, f"deletions_{t.table}_{name}") for name in ("gone", "renamed")]
        if t.is_sessions:
            made += [Trigger(t.table, f"deletions_{t.table}_{name}") for name in ("back", "back_again")]
        else:
            made.append(Trigger(t.table, f"deletions_{t.table}_back", temp=True))
        made.append(Trigger(t.table, f"deletions_{t.table}_kept", temp=True))
    return tuple(made)


# Kept in place by feeds/db_triggers.py (registered in DeletionsConfig.ready).
TRIGGER_SET = TriggerSet(
    name="deletions",
    loss="rows deleted from it leave no tombstone, so a consumer keeps them",
    triggers=triggers,
    install=install,
    uninstall=uninstall,
    uses=(TOMBSTONES,),
)
