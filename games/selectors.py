import datetime as dt

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from games.models import GameAction
from intarget_export.model_fields import MoneySum, money


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

    The rows are the sessions' first actions, so the descriptive columns and
    ``created_at`` are theirs; the aggregates are annotations computed per session
    through the (session_id, created_at, id) index. A values queryset of
    SESSION_COLUMNS, ordered by (updated_at, session_id); everything runs in the database.
    """
    in_window = Q()
    recorded = Q()
    if start is not None:
        in_window &= Q(created_at__gte=start)
        recorded &= Q(recorded_at__gte=start)
    if end is not None:
        in_window &= Q(created_at__lt=end)
        recorded &= Q(recorded_at__lt=end)
    same_session = GameAction.objects.filter(session_id=OuterRef("session_id")).order_by()
    first_action = same_session.order_by("created_at", "id").values("id")[:1]
    # The first action of each session with an action in the window, found from those
    # actions: the window drives the query, not the whole table.
    first_actions = (
        GameAction.objects.filter(in_window | recorded).order_by().annotate(first=Subquery(first_action)).values("first")
    )
    return (
        sessions_aggregated(GameAction.objects.filter(id__in=first_actions))
        .order_by("updated_at", "session_id")
        .values(*SESSION_COLUMNS)
    )


def sessions_aggregated(first_actions: QuerySet[GameAction]) -> QuerySet[GameAction]:
    """Step 3 of ``game_sessions_in_window``: the sessions' first actions annotated with
    the aggregates over all of their session's actions (``bet_count``, ``win_count``,
    ``bet_amount``, ``win_amount``, ``updated_at``)."""
    same_session = GameAction.objects.filter(session_id=OuterRef("session_id")).order_by()

    def per_session(aggregate):  # one value over all of the session's actions
        return Subquery(same_session.values("session_id").annotate(value=aggregate).values("value"))

    zero = Value(0, output_field=money())
    return first_actions.annotate(
        bet_count=per_session(Count("id", filter=Q(action="bet"))),
        win_count=per_session(Count("id", filter=Q(action="win"))),
        bet_amount=Coalesce(per_session(MoneySum("amount", filter=Q(action="bet"))), zero),
        win_amount=Coalesce(per_session(MoneySum("amount", filter=Q(action="win"))), zero),
        updated_at=per_session(Max("created_at")),
    )


def game_sessions_listed(sessions: QuerySet[GameAction]) -> QuerySet[GameAction]:
    """Every session of ``sessions``'s model (the admin's read-only list), aggregated as
    the games feed aggregates it; newest first. A session is found by its first action:
    one with no earlier action (by time, then id) in its session."""
    earlier = GameAction.objects.filter(session_id=OuterRef("session_id")).filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id"))
    )
    return sessions_aggregated(sessions.filter(~Exists(earlier))).order_by("-created_at", "-id")
