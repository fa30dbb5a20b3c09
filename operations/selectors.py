"""Reading the pull log: entries, and the gaps InTarget never received."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from django.db.models import QuerySet

from operations.models import Pull


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


def sync_gaps(*, key: str | None = None, feed: str | None = None) -> Iterator[Gap]:
    """For each key and feed, the stretches between the earliest ``from`` and the latest
    ``to`` of its complete 200 pulls that no such pull covered: rows changed then were
    never served to that key. Ordered by key, feed, start. Windows are half-open, so
    ``[a, b)`` and ``[b, c)`` leave no gap; overlaps and repeats are fine."""
    windows = (
        pulls_listed(key=key, feed=feed)
        .complete_windows()
        .order_by("key_name", "feed", "window_from", "window_to")
        .values_list("key_name", "feed", "window_from", "window_to")
    )
    for (key_name, feed_name), rows in groupby(windows.iterator(), key=lambda row: (row[0], row[1])):
        covered_to: dt.datetime | None = None
        for _, _, start, end in rows:
            if covered_to is not None and start > covered_to:
                yield Gap(key_name, feed_name, covered_to, start)
            covered_to = end if covered_to is None else max(covered_to, end)
