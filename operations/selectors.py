"""Reading the pull log: entries, the gaps InTarget never received, and what the
operator's console shows (rows served per hour of window time and what no pull covered,
the last window, recent failures).

What "covered" means is decided once, by ``PullQuerySet.complete_windows`` (a complete
200 pull with both bounds): the gaps, the chart's rows and its holes all read it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import (
    BooleanField, Count, ExpressionWrapper, F, FloatField, Max, Min, Q, QuerySet, Subquery, Sum, Value, Window,
)
from django.db.models.expressions import RowRange
from django.db.models.functions import NullIf, TruncHour
from django.utils import timezone

from access.models import ApiKey, Direction
from feeds.registry import served_feeds
from lib.seconds import Seconds
from operations.models import COMPLETE_WINDOW, SERVED_WHOLE, Pull

# A key name and a feed: a line of the console, the subject of an expected pull.
Line = tuple[str, str]


def pulls_listed(*, key: str | None = None, feed: str | None = None, since: dt.datetime | None = None) -> QuerySet[Pull]:
    """Entries oldest first, narrowed by key name, feed and start time."""
    pulls = Pull.objects.all()
    if key is not None:
        pulls = pulls.filter(key_name=key)
    if feed is not None:
        pulls = pulls.filter(feed=feed)
    if since is not None:
        pulls = pulls.filter(started_at__gte=since)
    return pulls.order_by("started_at", "pk")


@dataclass(frozen=True)
class Gap:
    key: str
    feed: str
    start: dt.datetime
    end: dt.datetime


def of_lines(pulls: QuerySet[Pull], lines: Collection[Line]) -> QuerySet[Pull]:
    """Only the pulls of ``lines`` (none when it is empty)."""
    if not lines:
        return pulls.none()
    return pulls.filter(reduce(or_, (Q(key_name=key, feed=feed) for key, feed in sorted(lines))))


def sync_gaps(
    *, key: str | None = None, feed: str | None = None, lines: Collection[Line] | None = None
) -> Iterator[Gap]:
    """For each key and feed, the stretches between the earliest ``from`` and the latest
    ``to`` of its complete 200 pulls that no such pull covered: rows changed then were
    never served to that key. Ordered by key, feed, start. Windows are half-open, so
    ``[a, b)`` and ``[b, c)`` leave no gap; overlaps and repeats are fine. Narrowed by
    key name and feed, or to the (key, feed) of ``lines``: those of several lines are
    one query too, never one per line.

    The database finds them in one pass (a window function, on SQLite and PostgreSQL):
    with a key and feed's windows ordered by ``from``, what the earlier ones covered
    reaches the greatest earlier ``to``; a window starting after that leaves a gap up to
    its ``from``. Only the gaps come back, not every pull: 90 days of per-minute pulls
    would be millions of rows for Python to walk (measured: 259,198 pulls, 0.5 s in
    PostgreSQL against 4 s and more walked in Python). The windows come in that order
    from their own index (``operations_pull_windows_idx``), not from a sort of the log:
    0.1 s for the same pulls (bench/README.md)."""
    covered_to = Window(
        Max("window_to"),
        partition_by=[F("key_name"), F("feed")],
        order_by=[F("window_from").asc(), F("window_to").asc()],
        frame=RowRange(start=None, end=-1),  # every earlier window, not this one
    )
    pulls = pulls_listed(key=key, feed=feed)
    if lines is not None:
        pulls = of_lines(pulls, lines)
    gaps = (
        pulls.complete_windows()
        .annotate(covered_to=covered_to)
        .filter(window_from__gt=F("covered_to"))
        .order_by("key_name", "feed", "window_from")
        .values_list("key_name", "feed", "covered_to", "window_from")
    )
    # An empty window ([t, t)) covers nothing but splits the gap around it in two at t:
    # neighbouring gaps of one key and feed are one gap.
    pending: Gap | None = None
    for key_name, feed_name, start, end in gaps:
        if pending and (pending.key, pending.feed, pending.end) == (key_name, feed_name, start):
            pending = Gap(key_name, feed_name, pending.start, end)
            continue
        if pending:
            yield pending
        pending = Gap(key_name, feed_name, start, end)
    if pending:
        yield pending


def gaps_by_line(*, lines: Collection[Line] | None = None) -> dict[Line, tuple[Gap, ...]]:
    """``sync_gaps`` of every line (or of ``lines``), read in one pass, by line; a line
    without gaps is absent."""
    found: dict[Line, list[Gap]] = defaultdict(list)
    for gap in sync_gaps(lines=lines):
        found[gap.key, gap.feed].append(gap)
    return {line: tuple(gaps) for line, gaps in found.items()}


@dataclass(frozen=True)
class LatestPulls:
    """A line's latest pull, whatever its answer, and its latest complete window (what
    InTarget last received whole), both by (``started_at``, id) as the log lists them."""

    last: Pull | None = None
    last_whole: Pull | None = None


def latest_pulls(lines: Iterable[Line]) -> dict[Line, LatestPulls]:
    """The latest pull and the latest complete window of each of ``lines``, in one
    query; a line without pulls is absent.

    Each is named by a subquery of its own (``ORDER BY started_at DESC, id DESC LIMIT 1``
    of one key and feed), a few steps down the (key, feed, started_at) index from its
    end, so the cost grows with the lines, not with the log; the query then reads the
    pulls they name by primary key. A grouped or window query (``DISTINCT ON``,
    ``ROW_NUMBER``) would sort every pull of the log instead."""

    def newest(pulls: QuerySet[Pull]) -> Subquery:
        return Subquery(pulls.order_by("-started_at", "-pk").values("pk")[:1])

    named = []
    for key, feed in sorted(set(lines)):
        pulls = Pull.objects.filter(key_name=key, feed=feed)
        named += [newest(pulls), newest(pulls.complete_windows())]
    if not named:
        return {}
    found = (
        Pull.objects.filter(pk__in=named)
        .annotate(whole=ExpressionWrapper(COMPLETE_WINDOW, output_field=BooleanField()))
        .order_by("started_at", "pk")
    )
    latest: dict[Line, LatestPulls] = {}
    for pull in found:  # a line's one or two, oldest first: the later is its latest
        line = pull.key_name, pull.feed
        earlier = latest.get(line, LatestPulls())
        latest[line] = LatestPulls(last=pull, last_whole=pull if pull.whole else earlier.last_whole)
    return latest

# Pulls that went wrong: refused or failed (any status but 200), or cut off mid-body.
FAILED = ~SERVED_WHOLE

HOUR = dt.timedelta(hours=1)
UTC = dt.timezone.utc


def as_float(expression: Any) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=FloatField())


@dataclass(frozen=True)
class Served:
    """What complete pulls served of one key and feed's window time in a range of hours."""

    hours: dict[dt.datetime, float]  # rows per hour of window time, hours without rows absent
    first: dt.datetime  # the earliest ``from`` of the windows that overlap the range
    last: dt.datetime  # their latest ``to``


def served_in_range(
    *, start: dt.datetime, end: dt.datetime, key: str | None = None, feed: str | None = None
) -> dict[tuple[str, str], Served]:
    """Per key and feed, the rows served for each hour of WINDOW time in ``[start, end)``
    (whole UTC hours): the rows of the complete 200 pulls (``complete_windows``, the
    pulls that cover time, as in ``sync_gaps``) are put in the hours their window
    covers, not in the hour they were pulled. A window within one hour gives that hour
    all its rows. A window spanning several hours is spread evenly over its length: each
    hour gets the share of its rows that the hour holds of the window's time (a window
    10:30-12:00 of 90 rows gives 10:00 30 rows and 11:00 60), since the log keeps a
    pull's row count, not each row's time. A window pulled twice counts twice: its rows
    were served twice. Key and feeds without such a window in the range are absent.

    One grouped query, in the database, over the pulls whose window overlaps the range
    (the index on ``window_to`` finds them; never the whole log): pulls are grouped by
    their window's first and last hour, and each group brings the sums of its shares
    (of its first hour, of each hour between, of its last hour) and its bounds, so
    Python reads a row per group, not per pull."""
    first_hour = TruncHour("window_from", tzinfo=UTC)
    last_hour = TruncHour("window_to", tzinfo=UTC)
    # Zero for an empty window ([t, t)), which lies within one hour: no share is needed.
    length = NullIf(Seconds(F("window_to"), F("window_from")), Value(0.0))
    groups = (
        pulls_listed(key=key, feed=feed)
        .complete_windows()
        .filter(window_from__lt=end, window_to__gt=start)
        .order_by()
        .annotate(first_hour=first_hour, last_hour=last_hour)
        .values("key_name", "feed", "first_hour", "last_hour")
        .annotate(
            whole=Sum("rows"),
            head=Sum(as_float(F("rows") * (3600.0 - Seconds(F("window_from"), first_hour)) / length)),
            each=Sum(as_float(F("rows") * 3600.0 / length)),
            tail=Sum(as_float(F("rows") * Seconds(F("window_to"), last_hour) / length)),
            first=Min("window_from"),
            last=Max("window_to"),
        )
    )
    hours: dict[tuple[str, str], dict[dt.datetime, float]] = defaultdict(lambda: defaultdict(float))
    bounds: dict[tuple[str, str], tuple[dt.datetime, dt.datetime]] = {}
    for group in groups:
        pair = group["key_name"], group["feed"]
        low, high = bounds.get(pair, (group["first"], group["last"]))
        bounds[pair] = min(low, group["first"]), max(high, group["last"])
        line = hours[pair]
        first, last = group["first_hour"], group["last_hour"]
        if first == last:
            line[first] += group["whole"]
            continue
        line[first] += group["head"]
        # Only the hours of the range: a window of years costs no more than one of a day.
        hour = max(first + HOUR, start)
        while hour < min(last, end):
            line[hour] += group["each"]
            hour += HOUR
        line[last] += group["tail"]  # nothing when the window ends on the hour
    return {
        pair: Served(
            {hour: round(rows, 6) for hour, rows in hours[pair].items() if start <= hour < end and rows}, *bounds[pair]
        )
        for pair in bounds
    }


@dataclass(frozen=True)
class HourRows:
    hour: dt.datetime
    # A float: a window spanning several hours gives each hour its share (served_in_range).
    rows: float


@dataclass(frozen=True)
class Span:
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Timeline:
    """One key and feed's window time over the console's chart: the hours from ``start``
    to ``end`` (the current hour, not over at ``now``, last), the rows served for each,
    and what no complete pull covered in ``[start, now)``: the ``gaps`` of ``sync_gaps``
    that reach into it (whole), and the time ``unpulled``, before its first complete
    window or after its latest ``to`` (cut to it; all of it when no complete window
    overlaps it)."""

    start: dt.datetime
    end: dt.datetime
    now: dt.datetime
    hours: tuple[HourRows, ...]
    gaps: tuple[Gap, ...]
    unpulled: tuple[Span, ...]

    @property
    def current_hour(self) -> dt.datetime:
        return self.end - HOUR


def last_hours(hours: int, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The ``hours`` whole UTC hours that end with the current one: (first hour, end of the current hour)."""
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + HOUR
    return end - hours * HOUR, end


def overlaps(start: dt.datetime, end: dt.datetime, low: dt.datetime, high: dt.datetime) -> bool:
    return start < high and low < end


@dataclass(frozen=True)
class Timelines:
    """The timelines of every key and feed over the same hours, read with one grouped
    query (``timelines``); ``of`` cuts out one."""

    start: dt.datetime
    end: dt.datetime
    now: dt.datetime
    served: dict[tuple[str, str], Served]
    gaps: dict[tuple[str, str], list[Gap]]

    def of(self, key: str, feed: str) -> Timeline:
        served = self.served.get((key, feed))
        rows = served.hours if served else {}
        count = round((self.end - self.start) / HOUR)
        hours = tuple(HourRows(hour, rows.get(hour, 0)) for hour in (self.start + n * HOUR for n in range(count)))
        # Whole, not cut: the operator asks for the whole gap again.
        gaps = tuple(gap for gap in self.gaps.get((key, feed), ()) if overlaps(gap.start, gap.end, self.start, self.now))
        if served is None:
            # No complete window in the range, so no gap either (a gap ends where a window starts).
            stretches = [(self.start, self.now)]
        else:
            stretches = [(served.last, self.now)]
            # Before the first window of the range: not pulled, unless a gap (from an
            # earlier window) is there, which then reaches to that first window.
            if not any(overlaps(gap.start, gap.end, self.start, served.first) for gap in gaps):
                stretches.insert(0, (self.start, served.first))
        unpulled = tuple(
            Span(max(low, self.start), min(high, self.now))
            for low, high in stretches
            if overlaps(low, high, self.start, self.now)
        )
        return Timeline(self.start, self.end, self.now, hours, gaps, unpulled)


def timelines(
    *, hours: int, gaps: Iterable[Gap], key: str | None = None, feed: str | None = None, now: dt.datetime | None = None
) -> Timelines:
    """The last ``hours`` whole hours (the current one last) of every key and feed, or of
    ``key`` and ``feed``; ``gaps`` are ``sync_gaps``' for the same (read once by the page,
    which lists them too)."""
    now = now or timezone.now()
    start, end = last_hours(hours, now)
    by_line: dict[tuple[str, str], list[Gap]] = defaultdict(list)
    for gap in gaps:
        by_line[gap.key, gap.feed].append(gap)
    return Timelines(start, end, now, served_in_range(start=start, end=end, key=key, feed=feed), dict(by_line))


@dataclass(frozen=True)
class KeyFeed:
    """One line of the console's index: a key and a feed, and how its pulls went."""

    key: str
    feed: str
    last: Pull | None  # the latest pull, whatever its answer
    last_whole: Pull | None  # the latest complete window (latest_pulls)
    pulls: int
    failures: int
    gaps: tuple[Gap, ...]  # sync_gaps', oldest first


def pulled_feeds(*, also: Iterable[Line] = ()) -> list[KeyFeed]:
    """Every key and feed that has pulls in the log, every feed an active pull key opens
    (listed with no pulls yet: InTarget has not started) and every (key, feed) of
    ``also`` (one expected to be pulled, though its keys are gone), ordered by key, feed.
    Three reads, whatever the number of lines: the counts one grouped query, the gaps
    one pass of ``sync_gaps``, the latest pulls one query (``latest_pulls``)."""
    counts = {
        (row["key_name"], row["feed"]): row
        for row in Pull.objects.order_by()
        .values("key_name", "feed")
        .annotate(pulls=Count("id"), failures=Count("id", filter=FAILED))
    }
    pairs = set(counts) | set(also)
    served = list(served_feeds())
    for name, feeds in ApiKey.objects.active().filter(direction=Direction.PULL).values_list("name", "feeds"):
        pairs.update((name, feed) for feed in (feeds or served) if feed in served)
    gaps = gaps_by_line()
    latest = latest_pulls(counts)  # the lines without pulls have none
    lines = []
    for key, feed in sorted(pairs):
        row = counts.get((key, feed), {})
        pulls = latest.get((key, feed), LatestPulls())
        lines.append(
            KeyFeed(
                key,
                feed,
                last=pulls.last,
                last_whole=pulls.last_whole,
                pulls=row.get("pulls", 0),
                failures=row.get("failures", 0),
                gaps=gaps.get((key, feed), ()),
            )
        )
    return lines


def recent_failures(*, key: str, feed: str, limit: int = 20) -> QuerySet[Pull]:
    """The latest pulls that were refused, failed or cut off, newest first."""
    return Pull.objects.filter(FAILED, key_name=key, feed=feed).order_by("-started_at", "-pk")[:limit]
