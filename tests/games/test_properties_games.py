"""The games feed's selection, checked with hypothesis against the aggregation from scratch.

``reference_sessions`` below is the feed's former selector, kept here as the definition
(feeds.md 4, games; the late-action rule of docs/no-row-lost.md 3): every aggregate
computed from the actions at query time. The feed now reads the session rows that the
database's triggers keep (games/session_triggers.py). On random actions (ties of time,
late recordings, bets and wins of any amount), then random updates (a session_id change
included) and deletes, and random windows, both give the same rows in the same order, on
SQLite and on PostgreSQL; and the summary holds exactly one row per session with actions.

One column is not a function of the actions alone: ``updated_at``, the last action's
time, never goes back (feeds.md section 1). A session that lost its last action, or whose
last action was moved earlier, keeps the one it had; and a session that comes back after
its tombstone (all its actions gone, then one moved into it) is dated after that
tombstone, though the changes keep their timestamps (assurance.md section 15). ``kept``
follows those rules over the changes, and the reference takes its ``updated_at`` from
there.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deletions.models import Tombstone
from feeds.model_fields import MoneySum, money
from feeds.stamping import preserve_timestamps
from games.models import GameAction, GameSession
from games.selectors import SESSION_COLUMNS, game_sessions_in_window

pytestmark = pytest.mark.django_db

FAST = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
T0 = dt.datetime(2020, 10, 10, 7, tzinfo=dt.timezone.utc)


def reference_sessions(start: dt.datetime | None, end: dt.datetime | None) -> QuerySet:
    """The games feed as it was computed before the summary table, from the actions alone."""
    in_window, recorded = Q(), Q()
    if start is not None:
        in_window &= Q(created_at__gte=start)
        recorded &= Q(recorded_at__gte=start)
    if end is not None:
        in_window &= Q(created_at__lt=end)
        recorded &= Q(recorded_at__lt=end)
    same_session = GameAction.objects.filter(session_id=OuterRef("session_id")).order_by()
    first_action = same_session.order_by("created_at", "id").values("id")[:1]
    first_actions = (
        GameAction.objects.filter(in_window | recorded).order_by().annotate(first=Subquery(first_action)).values("first")
    )

    def per_session(aggregate):
        return Subquery(same_session.values("session_id").annotate(value=aggregate).values("value"))

    zero = Value(0, output_field=money())
    return (
        GameAction.objects.filter(id__in=first_actions)
        .annotate(
            bet_count=per_session(Count("id", filter=Q(action="bet"))),
            win_count=per_session(Count("id", filter=Q(action="win"))),
            bet_amount=Coalesce(per_session(MoneySum("amount", filter=Q(action="bet"))), zero),
            win_amount=Coalesce(per_session(MoneySum("amount", filter=Q(action="win"))), zero),
            updated_at=per_session(Max("created_at")),
        )
        .order_by("updated_at", "session_id")
        .values(*SESSION_COLUMNS)
    )


# Few sessions, ids and instants, so that sessions share times and ids sort against times.
sessions = st.sampled_from(["s1", "s2", "s3", "s10"])
minutes = (st.sampled_from([0, 60, 61, 120]) | st.integers(0, 240)).map(lambda m: T0 + dt.timedelta(minutes=m))
instants = minutes | st.builds(lambda t, us: t + dt.timedelta(microseconds=us), minutes, st.integers(1, 999_999))
amounts = st.decimals(min_value=0, max_value=Decimal("1e12"), places=8, allow_nan=False, allow_infinity=False)
texts = st.none() | st.sampled_from(["", "a", "Ä,\"b\"", "10.0.0.1"])


@st.composite
def actions(draw):
    created = draw(instants)
    # Usually recorded as it happens; sometimes late (loaded later: the late-action rule).
    late = draw(st.sampled_from([dt.timedelta(0), dt.timedelta(0), dt.timedelta(minutes=draw(st.integers(1, 300)))]))
    return dict(
        session_id=draw(sessions), player_id=draw(st.sampled_from(["p1", "p2"])), action=draw(st.sampled_from(["bet", "win"])),
        amount=draw(amounts), game_code=draw(texts), game_name=draw(st.sampled_from(["Book of Ra", "Å"])),
        game_vendor=draw(texts), currency=draw(st.sampled_from(["EUR", "BTC"])),
        balance_type=draw(st.none() | st.sampled_from(["Normal", "Prize"])), ip=draw(texts), user_agent=draw(texts),
        ref_code=draw(texts), created_at=created, recorded_at=created + late,
    )


changes = st.lists(
    st.tuples(
        st.integers(0, 20),  # which action (modulo the number loaded)
        st.sampled_from(["delete", "session_id", "created_at", "amount", "action", "ip", "game_name"]),
        sessions, instants, amounts,
    ),
    max_size=4,
)
windows = st.tuples(st.none() | minutes, st.none() | minutes)


def last_actions() -> dict[str, dt.datetime]:
    """Each session's last action time, from its actions as they are now."""
    return dict(GameAction.objects.order_by().values("session_id").annotate(last=Max("created_at")).values_list("session_id", "last"))


def after_tombstones() -> dict[str, dt.datetime]:
    """The next whole second after each session's latest tombstone."""
    latest = Tombstone.objects.filter(feed="games").values("row_id").annotate(last=Max("deleted_at"))
    return {row["row_id"]: row["last"].replace(microsecond=0) + dt.timedelta(seconds=1) for row in latest}


def kept(held: dict[str, dt.datetime], last: dict[str, dt.datetime]) -> dict[str, dt.datetime]:
    """The sessions' updated_at after a change, from before it: never earlier, and after
    the session's tombstones (a session left without actions is gone, and starts afresh,
    after its tombstone, if it comes back)."""
    tombstoned = after_tombstones()
    return {
        session: max(held.get(session, time), time, tombstoned.get(session, time)) for session, time in last.items()
    }


def served(rows: list[dict], held: dict[str, dt.datetime]) -> list[dict]:
    """The reference's rows with each session's kept updated_at, in the feed's order."""
    rows = [{**row, "updated_at": held[row["session_id"]]} for row in rows]
    return sorted(rows, key=lambda row: (row["updated_at"], row["session_id"]))


def apply(change: tuple, ids: list[str]) -> None:
    index, what, session, instant, amount = change
    rows = GameAction.objects.filter(id=ids[index % len(ids)])
    values = {"session_id": session, "created_at": instant, "amount": amount, "action": "win", "ip": None,
              "game_name": "Changed"}
    if what == "delete":
        rows.delete()
    else:
        rows.update(**{what: values[what]})


@FAST
@given(st.lists(actions(), min_size=1, max_size=12), changes, st.lists(windows, min_size=1, max_size=3))
def test_the_feed_equals_the_aggregation_from_scratch(loaded, changed, asked):
    with transaction.atomic():
        with preserve_timestamps():
            ids = [f"a{n}" for n in range(len(loaded))]
            GameAction.objects.bulk_create([GameAction(id=id, **values) for id, values in zip(ids, loaded)])
            held = last_actions()
            for change in changed:
                apply(change, ids)
                held = kept(held, last_actions())
        for start, end in asked:
            assert list(game_sessions_in_window(start, end)) == served(list(reference_sessions(start, end)), held)
        everything = served(list(reference_sessions(None, None)), held)
        assert list(game_sessions_in_window(None, None)) == everything
        assert GameSession.objects.count() == len(everything)
        transaction.set_rollback(True)
