"""Bracket a write with the service's clock: its stamps must fall inside the span.

The stamping clock is the database's on PostgreSQL, so tests cannot pin it with
time_machine; they check that a stamp lies between two readings of that clock.
"""

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from feeds.stamping import clock


@dataclass
class Span:
    start: dt.datetime
    end: dt.datetime | None = None

    def __contains__(self, stamp: dt.datetime) -> bool:
        assert self.end is not None, "the span is still open"
        return self.start <= stamp <= self.end


@contextmanager
def stamping_span() -> Iterator[Span]:
    span = Span(clock())
    yield span
    span.end = clock()


def closed_window(span: Span) -> dict[str, str]:
    """A window of whole seconds around ``span``, waiting until it has ended (is final)."""
    assert span.end is not None
    start = span.start.replace(microsecond=0)
    end = span.end.replace(microsecond=0) + dt.timedelta(seconds=1)
    while clock() < end:
        time.sleep(0.05)
    return {"from": f"{start:%Y-%m-%d %H:%M:%S}", "to": f"{end:%Y-%m-%d %H:%M:%S}"}
