import datetime as dt

from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from games.models import GameAction
from intarget_export.model_fields import MoneySum, money

# Descriptive columns of a session row, taken from its first action (the spec's rule).
FIRST_ACTION_COLUMNS = (
    "player_id",
    "game_code",
    "game_name",
    "currency",
    "game_vendor",
    "balance_type",
    "ip",
    "user_agent",
    "ref_code",
)


def game_sessions_in_window(start: dt.datetime | None, end: dt.datetime | None) -> QuerySet:
    """Casino game sessions for the window ``[start, end)``, one row per session.

    1. select the sessions with at least one action whose ``created_at`` (when it
       happened) or ``recorded_at`` (when this service stored it) lies in the window;
    2. take *all* actions of those sessions, whatever their time;
    3. aggregate them: counts and sums per bet/win, first and last action times, and the
       descriptive columns of the first action (ordered by time, then id).

    Returns a values queryset ordered by (last action time, session_id); the aggregation
    runs in the database. Annotations are named ``first_action_at``, ``last_action_at``
    and ``first_<column>``, since they may not reuse a model field's name.
    """
    in_window = Q()
    recorded = Q()
    if start is not None:
        in_window &= Q(created_at__gte=start)
        recorded &= Q(recorded_at__gte=start)
    if end is not None:
        in_window &= Q(created_at__lt=end)
        recorded &= Q(recorded_at__lt=end)
    selected = GameAction.objects.filter(in_window | recorded).values("session_id")

    first_action = GameAction.objects.filter(session_id=OuterRef("session_id")).order_by("created_at", "id")
    zero = Value(0, output_field=money())
    return (
        GameAction.objects.filter(session_id__in=selected)
        .values("session_id")
        .annotate(
            bet_count=Count("id", filter=Q(action="bet")),
            win_count=Count("id", filter=Q(action="win")),
            bet_amount=Coalesce(MoneySum("amount", filter=Q(action="bet")), zero),
            win_amount=Coalesce(MoneySum("amount", filter=Q(action="win")), zero),
            first_action_at=Min("created_at"),
            last_action_at=Max("created_at"),
            # Aliased: an annotation may not reuse a model field's name.
            **{f"first_{name}": Subquery(first_action.values(name)[:1]) for name in FIRST_ACTION_COLUMNS},
        )
        .order_by("last_action_at", "session_id")
    )

