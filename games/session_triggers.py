"""Database triggers that keep ``games_gamesession`` (one row per session, as the
``games`` feed serves it) equal to the aggregation of ``games_gameaction`` from scratch.

Every write of actions goes through them, whatever writes (the ORM, ``import_feed``'s
upserts, the admin, an erasure, plain SQL on PostgreSQL), and their writes are part of
the action write's own transaction: a window is final for the summary exactly when it is
final for the actions (serving/finality.py watches ``games_gameaction``).

Each changed session (the old and the new session of an updated action) is recomputed
from all of its actions, through the (session_id, created_at, id) index: counts and sums
per bet/win, last action time, and the first action's (by time, then id) own columns.
A session left without actions loses its row. Its ``updated_at``, the games feed's
window timestamp, never goes back (feeds.md section 1): a session that loses its last
action, or whose last action is moved earlier, keeps the one it had (UPDATED_AT_KEPT).

- PostgreSQL: one statement-level trigger per event, with transition tables, so that a
  bulk load recomputes each session once per statement, not once per row. Concurrent
  writers of one session are serialised on its summary row (``FOR UPDATE``) before it is
  recomputed: under READ COMMITTED the recomputing statement then sees every action of
  whoever held the row before (they committed), and whoever comes after recomputes again.
  Row locks live in the rows, so a load of a million sessions needs no lock table space.
- SQLite: row-level triggers (the only kind it has). An insert adds the action to its
  session's row; an update or delete recomputes it in place (an upsert). Sums use the
  service's exact decimal functions (feeds.model_fields.MoneySum and
  intarget_decimal_add), registered on every connection the service opens; a program writing the file with plain SQL has no such function and its write of
  actions is refused, not half-applied (docs/no-row-lost.md: SQLite covers writes made
  through the service).
"""

from __future__ import annotations

from typing import Any

from feeds.db_stamping import PRESERVE_SETTING
from feeds.db_triggers import Trigger, TriggerSet
from feeds.model_fields import SQLITE_DECIMAL_ADD, SQLITE_DECIMAL_SUM
from feeds.stamping import SQLITE_PRESERVING

# The first action's own columns, in the summary under the same names (id: first_action_id).
FIRST_ACTION_COLUMNS = (
    "player_id", "game_code", "game_name", "game_vendor", "currency", "balance_type", "ip", "user_agent", "ref_code",
)
AGGREGATE_COLUMNS = ("bet_count", "win_count", "bet_amount", "win_amount", "updated_at")
SUMMARY_COLUMNS = ("session_id", "first_action_id", *FIRST_ACTION_COLUMNS, "created_at", *AGGREGATE_COLUMNS)


def _aggregates(money_sum: str) -> str:
    """The per-session aggregates over actions aliased ``a``, as the feed defines them."""
    return f"""
        COUNT(a.id) FILTER (WHERE a.action = 'bet') AS bet_count,
        COUNT(a.id) FILTER (WHERE a.action = 'win') AS win_count,
        COALESCE({money_sum}(a.amount) FILTER (WHERE a.action = 'bet'), 0) AS bet_amount,
        COALESCE({money_sum}(a.amount) FILTER (WHERE a.action = 'win'), 0) AS win_amount,
        MAX(a.created_at) AS updated_at"""


def _recomputed(where: str, money_sum: str) -> str:
    """SELECT of the summary rows (SUMMARY_COLUMNS) of the sessions whose actions ``a``
    satisfy ``where``, from all of their actions. One form for both databases (SQLite has
    no LATERAL): the first action's id per group, then that action by its key."""
    first = ", ".join(f"f.{name}" for name in FIRST_ACTION_COLUMNS)
    return f"""
        SELECT g.session_id, f.id AS first_action_id, {first}, f.created_at, {", ".join(f"g.{name}" for name in AGGREGATE_COLUMNS)}
        FROM (
            SELECT a.session_id, {_aggregates(money_sum)},
                (SELECT b.id FROM games_gameaction b WHERE b.session_id = a.session_id
                 ORDER BY b.created_at, b.id LIMIT 1) AS first_id
            FROM games_gameaction a WHERE {where} GROUP BY a.session_id
        ) g
        JOIN games_gameaction f ON f.id = g.first_id"""


# A session's updated_at never goes back (feeds.md section 1): a recomputation that finds
# an earlier last action (the last one deleted, moved to another session, or its
# created_at moved earlier) keeps the stored one. The session is still served again with
# its new totals (revised_at), at the updated_at a consumer already holds it by.
UPDATED_AT_KEPT = "GREATEST({stored}.updated_at, {new}.updated_at)"
_PG_SET = ", ".join(
    f"{name} = " + (UPDATED_AT_KEPT.format(stored="s", new="r") if name == "updated_at" else f"r.{name}")
    for name in SUMMARY_COLUMNS[1:]
)

PG_TRIGGERS = f"""
-- Sessions are joined as IN (SELECT unnest(...)), a hashed semi-join: = ANY() of a
-- bulk load's 200k sessions would be searched linearly per action.
CREATE OR REPLACE FUNCTION games_gamesession_refresh(sessions varchar[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    created varchar[];
BEGIN
    -- Sessions new to the summary get their row at once. Computed from this snapshot,
    -- it is complete: a concurrent writer of the same session either wrote its row
    -- first (ON CONFLICT then waits for it and skips: recomputed below) or comes to it
    -- after us (it waits on our row and recomputes after we commit).
    WITH inserted AS (
        INSERT INTO games_gamesession ({", ".join(SUMMARY_COLUMNS)})
        SELECT * FROM ({_recomputed(
            "a.session_id IN (SELECT unnest(sessions) EXCEPT SELECT session_id FROM games_gamesession"
            " WHERE session_id IN (SELECT unnest(sessions)))", "SUM")}) r
        ON CONFLICT (session_id) DO NOTHING
        RETURNING session_id
    )
    SELECT array_agg(session_id) INTO created FROM inserted;
    sessions := ARRAY(SELECT unnest(sessions) EXCEPT SELECT unnest(created) ORDER BY 1);
    IF cardinality(sessions) = 0 THEN
        RETURN;
    END IF;
    -- The others: one writer of a session at a time, in session order (no deadlock
    -- between two); then a new statement, a new snapshot, in which every action of an
    -- earlier holder of the row is visible.
    PERFORM 1 FROM games_gamesession WHERE session_id IN (SELECT unnest(sessions)) ORDER BY session_id FOR UPDATE;
    UPDATE games_gamesession s SET {_PG_SET}
    FROM ({_recomputed("a.session_id IN (SELECT unnest(sessions))", "SUM")}) r
    WHERE s.session_id = r.session_id;
    DELETE FROM games_gamesession s
    WHERE s.session_id IN (SELECT unnest(sessions))
      AND NOT EXISTS (SELECT 1 FROM games_gameaction a WHERE a.session_id = s.session_id);
END
$$;

-- Sessions that lost actions but keep some: their revised_at moves to now (the database
-- clock, as every stamp; the writer already has its transaction id, from the rows it
-- changed), so that the feed serves their new totals again. A backfill that keeps its
-- timestamps (intarget.preserve_timestamps) moves none.
CREATE OR REPLACE FUNCTION games_gamesession_revise(sessions varchar[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(sessions) = 0 OR current_setting('{PRESERVE_SETTING}', true) = 'on' THEN
        RETURN;
    END IF;
    UPDATE games_gamesession SET revised_at = GREATEST(clock_timestamp(), revised_at)
    WHERE session_id IN (SELECT unnest(sessions));
END
$$;

CREATE OR REPLACE FUNCTION games_gamesession_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM games_gamesession_refresh(ARRAY(SELECT DISTINCT session_id FROM new_actions ORDER BY 1));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM games_gamesession_refresh(ARRAY(SELECT DISTINCT session_id FROM old_actions ORDER BY 1));
        PERFORM games_gamesession_revise(ARRAY(SELECT DISTINCT session_id FROM old_actions ORDER BY 1));
    ELSE
        PERFORM games_gamesession_refresh(ARRAY(
            SELECT session_id FROM new_actions UNION SELECT session_id FROM old_actions ORDER BY 1
        ));
        -- The old sessions of the actions that moved out of them.
        PERFORM games_gamesession_revise(ARRAY(
            SELECT DISTINCT o.session_id FROM old_actions o LEFT JOIN new_actions n ON n.id = o.id
            WHERE n.id IS NULL OR n.session_id IS DISTINCT FROM o.session_id ORDER BY 1
        ));
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION games_gamesession_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- DELETE, not TRUNCATE: a TRUNCATE of both tables at once (Django's flush) is still
    -- using games_gamesession when this runs.
    DELETE FROM games_gamesession;
    RETURN NULL;
END
$$;

CREATE TRIGGER session_insert AFTER INSERT ON games_gameaction REFERENCING NEW TABLE AS new_actions
    FOR EACH STATEMENT EXECUTE FUNCTION games_gamesession_changed();
CREATE TRIGGER session_update AFTER UPDATE ON games_gameaction
    REFERENCING OLD TABLE AS old_actions NEW TABLE AS new_actions
    FOR EACH STATEMENT EXECUTE FUNCTION games_gamesession_changed();
CREATE TRIGGER session_delete AFTER DELETE ON games_gameaction REFERENCING OLD TABLE AS old_actions
    FOR EACH STATEMENT EXECUTE FUNCTION games_gamesession_changed();
CREATE TRIGGER session_truncate AFTER TRUNCATE ON games_gameaction
    FOR EACH STATEMENT EXECUTE FUNCTION games_gamesession_truncated();

"""

# Sessions already loaded.
PG_BACKFILL = f"""
INSERT INTO games_gamesession ({", ".join(SUMMARY_COLUMNS)})
{_recomputed("TRUE", "SUM")};
"""

PG_UNINSTALL = """
DROP TRIGGER IF EXISTS session_insert ON games_gameaction;
DROP TRIGGER IF EXISTS session_update ON games_gameaction;
DROP TRIGGER IF EXISTS session_delete ON games_gameaction;
DROP TRIGGER IF EXISTS session_truncate ON games_gameaction;
DROP FUNCTION IF EXISTS games_gamesession_changed();
DROP FUNCTION IF EXISTS games_gamesession_truncated();
DROP FUNCTION IF EXISTS games_gamesession_refresh(varchar[]);
DROP FUNCTION IF EXISTS games_gamesession_revise(varchar[]);
"""


# Text compares as time on SQLite (YYYY-MM-DD HH:MM:SS[.fraction]): max() is GREATEST.
_SQLITE_SET = ", ".join(
    f"{name} = "
    + ("max(games_gamesession.updated_at, excluded.updated_at)" if name == "updated_at" else f"excluded.{name}")
    for name in SUMMARY_COLUMNS[1:]
)


def _sqlite_refresh(row: str) -> str:
    """Statements that recompute the session of ``row`` (OLD or NEW): its row updated in
    place (its updated_at never goes back, its revised_at kept), or deleted when it has no
    action left. Never deleted and inserted again: a deletion of a session's row is one
    the feed serves as a tombstone (deletions/triggers.py). ``WHERE 1``: SQLite's upsert
    of a SELECT with a join needs a WHERE before ON CONFLICT."""
    return f"""
    INSERT INTO games_gamesession ({", ".join(SUMMARY_COLUMNS)})
    {_recomputed(f"a.session_id = {row}.session_id", SQLITE_DECIMAL_SUM)} WHERE 1
    ON CONFLICT (session_id) DO UPDATE SET {_SQLITE_SET};
    DELETE FROM games_gamesession WHERE session_id = {row}.session_id
      AND NOT EXISTS (SELECT 1 FROM games_gameaction a WHERE a.session_id = {row}.session_id);"""


def _sqlite_added() -> str:
    """The new action (NEW) added to its session's row: one row-level trigger per action
    cannot afford to re-read the session (a load of 300k actions took 15 times as long),
    so counts and sums are incremented, and the first action's columns replaced when the
    new one comes earlier by (created_at, id). Timestamps are text on SQLite, compared as
    text, as the aggregation compares them."""
    def bet(kind: str, value: str, other: str) -> str:
        return f"CASE WHEN NEW.action = '{kind}' THEN {value} ELSE {other} END"

    values = {
        "session_id": "NEW.session_id", "first_action_id": "NEW.id",
        **{name: f"NEW.{name}" for name in FIRST_ACTION_COLUMNS}, "created_at": "NEW.created_at",
        "bet_count": bet("bet", "1", "0"), "win_count": bet("win", "1", "0"),
        "bet_amount": bet("bet", "NEW.amount", "'0'"), "win_amount": bet("win", "NEW.amount", "'0'"),
        "updated_at": "NEW.created_at",
    }
    earlier = "(excluded.created_at, excluded.first_action_id) < (games_gamesession.created_at, games_gamesession.first_action_id)"
    first = [name for name in SUMMARY_COLUMNS if name in ("first_action_id", "created_at", *FIRST_ACTION_COLUMNS)]
    # Every right-hand side reads the row as it was before this update.
    sets = [f"{name} = CASE WHEN {earlier} THEN excluded.{name} ELSE games_gamesession.{name} END" for name in first]
    sets += [f"{name} = games_gamesession.{name} + excluded.{name}" for name in ("bet_count", "win_count")]
    # Only the sum of the action's kind changes: one call of the (Python) function, not two.
    sets += [
        f"{kind}_amount = CASE WHEN excluded.{kind}_count = 1 THEN "
        f"{SQLITE_DECIMAL_ADD}(games_gamesession.{kind}_amount, excluded.{kind}_amount) ELSE games_gamesession.{kind}_amount END"
        for kind in ("bet", "win")
    ]
    sets += ["updated_at = max(games_gamesession.updated_at, excluded.updated_at)"]
    return f"""
    INSERT INTO games_gamesession ({", ".join(values)}) VALUES ({", ".join(values.values())})
    ON CONFLICT (session_id) DO UPDATE SET {", ".join(sets)};"""


def _sqlite_revise(row: str, moved: str = "1") -> str:
    """The statement that moves the session of ``row`` (OLD) to revised now, when
    ``moved``: it lost an action but keeps some (no row, nothing to move). Not in a
    backfill that keeps its timestamps (feeds/stamping.py)."""
    return f"""
    UPDATE games_gamesession SET revised_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
    WHERE session_id = {row}.session_id AND {moved} AND NOT {SQLITE_PRESERVING}();"""


# A session whose row was deleted by hand (which leaves a games tombstone,
# deletions/triggers.py) while it kept actions gets, from its next action, a row of that
# action alone (_sqlite_added): recomputed here from all of its actions, as PostgreSQL's
# triggers make it. On the sessions' table, so that only a new session's row pays (one
# probe of its actions), not every action written.
_SQLITE_RESUMED = (
    "CREATE TRIGGER games_session_resumed AFTER INSERT ON games_gamesession"
    " WHEN NEW.bet_count + NEW.win_count = 1 AND EXISTS (SELECT 1 FROM games_gameaction b"
    " WHERE b.session_id = NEW.session_id AND b.id <> NEW.first_action_id) BEGIN"
    f" INSERT INTO games_gamesession ({', '.join(SUMMARY_COLUMNS)})"
    f" {_recomputed('a.session_id = NEW.session_id', SQLITE_DECIMAL_SUM)} WHERE 1"
    f" ON CONFLICT (session_id) DO UPDATE SET {_SQLITE_SET}; END"
)

SQLITE_INSTALL = [
    f"CREATE TRIGGER games_session_insert AFTER INSERT ON games_gameaction BEGIN {_sqlite_added()} END",
    f"CREATE TRIGGER games_session_delete AFTER DELETE ON games_gameaction BEGIN {_sqlite_refresh('OLD')} "
    f"{_sqlite_revise('OLD')} END",
    f"CREATE TRIGGER games_session_update AFTER UPDATE ON games_gameaction BEGIN "
    f"{_sqlite_refresh('OLD')} {_sqlite_refresh('NEW')} "
    f"{_sqlite_revise('OLD', 'OLD.session_id IS NOT NEW.session_id')} END",
    _SQLITE_RESUMED,
]
SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS games_session_{event}" for event in ("insert", "delete", "update", "resumed")
]


def reinstall(apps: Any, schema_editor: Any) -> None:
    """The current triggers in place of the ones a database has (a later migration runs
    it after a change to them); the summary rows are kept."""
    uninstall(apps, schema_editor)
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.cursor.execute(PG_TRIGGERS)
        return
    for statement in SQLITE_INSTALL:
        schema_editor.execute(statement, None)


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            # The backfill reads every action once: on a table of millions it may take
            # minutes, past the service's bounds on one query (lib/db_bounds.py), which are
            # for requests. So no statement timeout, and psycopg's own cursor, which the
            # client-side stall watchdog (a Django execute wrapper) does not bracket.
            cursor.execute("SET LOCAL statement_timeout = 0")
            cursor.cursor.execute(PG_TRIGGERS + PG_BACKFILL)
        return
    for statement in SQLITE_INSTALL:
        schema_editor.execute(statement)
    # Sessions already loaded (the decimal aggregate is registered on this connection too).
    schema_editor.execute(
        f"INSERT INTO games_gamesession ({', '.join(SUMMARY_COLUMNS)}) "
        + _recomputed("1", SQLITE_DECIMAL_SUM)
    )


def uninstall(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UNINSTALL)
        return
    for statement in SQLITE_UNINSTALL:
        schema_editor.execute(statement)


def triggers(vendor: str) -> tuple[Trigger, ...]:
    if vendor == "postgresql":
        events = ("insert", "update", "delete", "truncate")
        return tuple(Trigger("games_gameaction", f"session_{event}") for event in events)
    return (
        *(Trigger("games_gameaction", f"games_session_{event}") for event in ("insert", "delete", "update")),
        Trigger("games_gamesession", "games_session_resumed"),
    )


# Kept in place by feeds/db_triggers.py (registered in GamesConfig.ready): installed again
# by reinstall, which keeps the summary rows (install would load them a second time).
TRIGGER_SET = TriggerSet(
    name="games sessions",
    loss="game actions written to it change no session, and the games feed serves stale sessions",
    triggers=triggers,
    install=reinstall,
    uninstall=uninstall,
    uses=("games_gamesession",),
)
