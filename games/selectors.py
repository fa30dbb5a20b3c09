import datetime as dt

from django.db.models import Q, QuerySet

from games.models import GameAction, GameSession

# A session row: the first action's own columns, then the per-session aggregates.
SESSION_COLUMNS = (
    "player_id", "session_id", "game_code", "game_name", "currency", "bet_count", "win_count", "bet_amount",
    "win_amount", "created_at", "updated_at", "game_vendor", "balance_type", "ip", "user_agent", "ref_code",
)


def game_sessions_in_window(start: dt.datetime | None, end: dt.datetime | None) -> QuerySet:
    """Casino game sessions for the window ``[start, end)``, one row per session.

    1. select the sessions with at least one action whose ``created_at`` (when it
       happened) or ``recorded_at`` (when this service stored it) lies in the window;
    2. take *all* actions of those sessions, whatever their time;
    3. aggregate them: counts and sums per bet/win, first and last action times, and the
       descriptive columns of the first action (ordered by time, then id).

    Step 1 reads the actions' (created_at, session_id) and (recorded_at, created_at,
    session_id) indexes; steps 2
    and 3 are the session's row in ``games_gamesession``, which the database's triggers
    keep equal to that aggregation as actions are written (games/session_triggers.py), in
    the same transaction, so the one statement sees actions and sessions alike. A values
    queryset of SESSION_COLUMNS, ordered by (updated_at, session_id).
    """
    in_window = Q()
    recorded = Q()
    if start is not None:
        in_window &= Q(created_at__gte=start)
        recorded &= Q(recorded_at__gte=start)
    if end is not None:
        in_window &= Q(created_at__lt=end)
        recorded &= Q(recorded_at__lt=end)
    # The two ranges as one list (UNION ALL, hashed once by the IN): each is an
    # index-only scan of its (time, session_id) index. An OR of the two would read the
    # action rows themselves (a bitmap heap scan, or the whole table for a wide window);
    # two IN lists ORed are re-scanned per session.
    by_time = GameAction.objects.filter(in_window).order_by().values("session_id")
    # Those already selected by their time need not come twice: half the list to hash.
    by_recording = GameAction.objects.filter(recorded).exclude(in_window).order_by().values("session_id")
    touched = by_time.union(by_recording, all=True)
    return (
        GameSession.objects.filter(session_id__in=touched)
        .order_by("updated_at", "session_id")
        .values(*SESSION_COLUMNS)
    )
