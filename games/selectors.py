import datetime as dt
from typing import Any

from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery

from feeds.registry import within
from games.models import GameAction, GameSession
from games.session_span import SpanMeets
from lib.per_database import OnEachDatabase

# A session row: the first action's own columns, then the per-session aggregates.
SESSION_COLUMNS = (
    "player_id", "session_id", "game_code", "game_name", "currency", "bet_count", "win_count", "bet_amount",
    "win_amount", "created_at", "updated_at", "game_vendor", "balance_type", "ip", "user_agent", "ref_code",
)


class _SessionAmong(Func):
    """PostgreSQL: ``session_id = ANY(ARRAY(<subquery>))``, the subquery run once: unlike
    ``IN (<subquery>)``, a key lookup that a BitmapOr can join to another index's.

    The array is held in memory, and PostgreSQL refuses one of more than 1 GB: about 60M
    distinct sessions, so the subquery gives each session once. Only a window into which
    the late actions of more sessions were recorded (a history of that size loaded
    without ``--preserve-timestamps``, which is for history backfills) would meet that
    bound; its answer would then break, never end as complete.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, sessions: QuerySet):
        super().__init__(F("session_id"), Subquery(sessions))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        (key, key_params), (sessions, params) = (compiler.compile(e) for e in self.get_source_expressions())
        return f"{key} = ANY(ARRAY{sessions})", [*key_params, *params]


def game_sessions_in_window(start: dt.datetime | None, end: dt.datetime | None) -> QuerySet:
    """Casino game sessions for the window ``[start, end)``, one row per session.

    1. select the sessions with at least one action whose ``created_at`` (when it
       happened) or ``recorded_at`` (when this service stored it) lies in the window,
       or that lost an action in it (``revised_at``);
    2. take *all* actions of those sessions, whatever their time;
    3. aggregate them: counts and sums per bet/win, first and last action times, and the
       descriptive columns of the first action (ordered by time, then id). The last
       action's time, ``updated_at``, never goes back: a session that loses its last
       action keeps the one it had (games/session_triggers.py).

    Steps 2 and 3 are the session's row in ``games_gamesession``, which the database's
    triggers keep equal to that aggregation as actions are written
    (games/session_triggers.py), in the same transaction, so the one statement sees
    actions and sessions alike. A values queryset of SESSION_COLUMNS, ordered by
    (updated_at, session_id).

    Step 1, by an action's ``created_at``: on PostgreSQL from the sessions' own span
    (games/session_span.py), on SQLite from the actions' (created_at, session_id) index.
    By ``recorded_at``, the actions recorded in the window that did not also happen in
    it (late loads, a few): the (recorded_at, created_at, session_id) index. And the
    sessions whose ``revised_at`` lies in the window: they lost actions then (deleted or
    moved out), which no remaining action's time shows.
    """
    happened = within("created_at", start, end)
    recorded = within("recorded_at", start, end)
    # Those already selected by their time need not come twice.
    late = GameAction.objects.filter(recorded).exclude(happened).order_by().values("session_id")
    late_sessions = late.distinct()
    # SQLite: the two ranges as one list (UNION ALL, hashed once by the IN): each is an
    # index-only scan of its (time, session_id) index; an OR of the two would read the
    # action rows themselves.
    by_time = GameAction.objects.filter(happened).order_by().values("session_id")
    from_actions = Q(session_id__in=by_time.union(late, all=True))
    # PostgreSQL: a session whose first action lies in the window has one in it; any other
    # whose span meets the window is asked its own actions (the action_session index).
    # Not its updated_at: that is no action's time once its last action has gone, as it
    # never goes back (games/session_triggers.py), so it would select a session with no
    # action in the window, which SQLite does not.
    action_in_window = Exists(GameAction.objects.filter(happened, session_id=OuterRef("session_id")))
    in_span = within("created_at", start, end) | action_in_window
    from_spans = (SpanMeets(start, end) & in_span) | _SessionAmong(late_sessions)
    # And the sessions that lost actions in the window (deleted, or moved to another
    # session): served again with their new totals (the session_revised index).
    revised = within("revised_at", start, end)
    return (
        GameSession.objects.filter(OnEachDatabase(from_actions | revised, postgresql=from_spans | revised))
        .order_by("updated_at", "session_id")
        .values(*SESSION_COLUMNS)
    )


def game_sessions_updated_in(start: dt.datetime | None, end: dt.datetime | None) -> QuerySet:
    """The sessions whose last action (``updated_at``) lies in ``[start, end)``: the rows
    of the games digest (assurance.md section 14), as a consumer holds them.

    On PostgreSQL through the span index (games/session_span.py): a session whose last
    action lies in the window has a span that meets it. No btree on ``updated_at``: it
    would offer the feed's (updated_at, session_id) order to the planner, which could then
    walk every session in that order instead of the window's from the span index. SQLite
    reads the sessions' table (a digest of games there reads every session once).
    """
    updated = within("updated_at", start, end)
    return GameSession.objects.filter(OnEachDatabase(updated, postgresql=SpanMeets(start, end) & updated))
