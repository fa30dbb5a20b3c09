"""Reading whether the expected pulls happen (assurance.md section 13).

A pull here is a pull-log entry with status 200 and ``complete`` true; it *ends* at
``started_at + duration_ms``. At ``now``, a key and feed with an expectation is **late**
when no such pull ended in ``[now - every - grace, now]``, the moment the expectation was
set counting as one; otherwise **up**. Its gaps are those ``sync_gaps`` lists for it.
Everything is read as of ``now``: a pull that had not ended by then does not count yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Func, Max, QuerySet
from django.utils import timezone

from access.models import ApiKey, Direction
from access.rules import feed_refusal
from alerts.models import Expectation, State
from feeds.registry import served_feeds
from operations.models import Pull
from operations.selectors import Gap, Line, gaps_by_line, of_lines


class Milliseconds(Func):
    """A whole number of milliseconds as a duration: an interval on PostgreSQL; elsewhere
    microseconds, the form Django keeps durations in where there is no interval type
    (its datetime arithmetic on SQLite then adds it to the time, to the microsecond)."""

    template = "(%(expressions)s * 1000)"
    output_field = DurationField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        return self.as_sql(compiler, connection, template="(%(expressions)s * interval '1 millisecond')", **extra)


# When a pull ended, computed by the database.
ENDED_AT = ExpressionWrapper(F("started_at") + Milliseconds("duration_ms"), output_field=DateTimeField())


def pulls_ended(*, now: dt.datetime) -> QuerySet[Pull]:
    """The pulls that count, ended by ``now``, each with its ``ended_at``."""
    return (
        Pull.objects.filter(status=200, complete=True, started_at__lte=now)  # the index narrows; the end decides
        .annotate(ended_at=ENDED_AT)
        .filter(ended_at__lte=now)
    )


@dataclass(frozen=True)
class ExpectationState:
    """One line of ``pull_status``: a key and feed with an expectation, as of ``now``."""

    key: str
    feed: str
    every: int
    grace: int
    set_at: dt.datetime
    now: dt.datetime
    last_pull_at: dt.datetime | None
    last_to: dt.datetime | None
    gaps: tuple[Gap, ...]

    @property
    def since(self) -> dt.datetime:
        """The moment lateness counts from: the end of the latest pull, or the moment the
        expectation was set when that is later (or there was no pull)."""
        moments = [self.last_pull_at] if self.last_pull_at is not None else []
        if self.set_at <= self.now:
            moments.append(self.set_at)
        return max(moments, default=self.set_at)

    @property
    def state(self) -> str:
        deadline = self.now - dt.timedelta(seconds=self.every + self.grace)
        return State.UP if deadline <= self.since <= self.now else State.LATE

    @property
    def late(self) -> bool:
        return self.state == State.LATE

    @property
    def age(self) -> float:
        """Seconds since ``since``: past ``every + grace``, the key and feed is late."""
        return (self.now - self.since).total_seconds()


def expectations_listed(*, key: str | None = None, feed: str | None = None) -> QuerySet[Expectation]:
    """Expectations ordered by key name, feed; only one key name's with ``key``, one
    feed's with ``feed``."""
    expectations = Expectation.objects.order_by("key_name", "feed")
    if key is not None:
        expectations = expectations.filter(key_name=key)
    return expectations if feed is None else expectations.filter(feed=feed)


def expectation_states(
    *, key: str | None = None, feed: str | None = None, now: dt.datetime | None = None, gaps: bool = True
) -> list[ExpectationState]:
    """Every expectation's state (only ``key``'s with a key name, ``feed``'s with a feed),
    ordered by key, feed (``states_of``); without ``gaps`` (the console, which reads
    every gap once itself) their ``gaps`` are empty."""
    return states_of(list(expectations_listed(key=key, feed=feed)), now=now or timezone.now(), gaps=gaps)


def expectation_state(expectation: Expectation, *, now: dt.datetime | None = None) -> ExpectationState:
    """One expectation's state (one check)."""
    (state,) = states_of([expectation], now=now or timezone.now())
    return state


def states_of(expectations: list[Expectation], *, now: dt.datetime, gaps: bool = True) -> list[ExpectationState]:
    """The states of ``expectations`` as of ``now``, in their order, in two reads
    whatever their number: one grouped query for the latest pulls of all of them, and
    one pass of ``sync_gaps`` over all of their lines (not one per key and feed)."""
    lines: set[Line] = {(e.key_name, e.feed) for e in expectations}
    latest = {
        (row["key_name"], row["feed"]): row
        for row in of_lines(pulls_ended(now=now), lines)
        .order_by()
        .values("key_name", "feed")
        .annotate(last_pull_at=Max("ended_at"), last_to=Max("window_to"))
    }
    found = gaps_by_line(lines=lines) if gaps else {}
    states = []
    for expectation in expectations:
        line = expectation.key_name, expectation.feed
        pulled = latest.get(line, {})
        states.append(
            ExpectationState(
                key=expectation.key_name,
                feed=expectation.feed,
                every=expectation.every,
                grace=expectation.grace,
                set_at=expectation.set_at,
                now=now,
                last_pull_at=pulled.get("last_pull_at"),
                last_to=pulled.get("last_to"),
                gaps=found.get(line, ()),
            )
        )
    return states


def pull_keys_named(key_name: str) -> QuerySet[ApiKey]:
    """The active pull keys of that name (a name may have several: a key rotated)."""
    return ApiKey.objects.active().filter(name=key_name, direction=Direction.PULL)


def feeds_pullable(key_name: str) -> list[str]:
    """The served feeds that the keys of that name may pull, in the registry's order:
    asked of each key's own feed rule (``access.rules``), so that a feed every pull key
    may ask for (``deletions``) is in it once that rule says so."""
    keys = list(pull_keys_named(key_name))
    return [feed for feed in served_feeds() if any(feed_refusal(key, feed) is None for key in keys)]
