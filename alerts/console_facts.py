"""The expected pulls on the operator's console: each key and feed's expectation, up or
late, handed to the console through ``operations.console_facts`` (registered in
``apps.py``), which marks late lines and puts them first."""

from __future__ import annotations

import datetime as dt

from alerts.selectors import expectation_states
from operations.console_facts import ExpectedPull


def expected_pulls(*, now: dt.datetime, key: str | None = None, feed: str | None = None) -> list[ExpectedPull]:
    """Every expectation's state as of ``now`` (of ``key`` and ``feed`` when given),
    without its gaps: the console reads those itself, once for every line."""
    return [
        ExpectedPull(
            key=state.key,
            feed=state.feed,
            late=state.late,
            every=state.every,
            grace=state.grace,
            since=state.since,
            last_pull_at=state.last_pull_at,
            last_to=state.last_to,
        )
        for state in expectation_states(key=key, feed=feed, now=now, gaps=False)
    ]
