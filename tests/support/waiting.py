"""Waiting on what a process does next, never on how fast it does it.

A test that needs another process to reach a point (a log line written, a lock taken, a
slot given back, a worker started) polls for that event. The limit only ends a wait for
what will never come, so it is one long figure for every wait: on a loaded machine a
step that takes milliseconds here can take many seconds, and a short limit there fails
a run with nothing wrong in the code (issue 18 item 13; a push test at 20 s in issue 21).
``TEST_WAIT_LIMIT`` shortens it when hunting a hang.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Seconds before a wait is taken as a hang.
LIMIT = float(os.environ.get("TEST_WAIT_LIMIT", "180"))


def wait_until(condition: Callable[[], T], what: str | Callable[[], object], *, every: float = 0.05,
               alive: Callable[[], bool] | None = None) -> T:
    """``condition()``'s first true value, polled every ``every`` seconds.

    Fails, saying ``what`` (or ``what()``, for a message that shows the state reached), when
    ``alive`` says the process waited on has ended without the event, or after ``LIMIT``.
    """
    deadline = time.monotonic() + LIMIT
    while not (result := condition()):
        gone = alive is not None and not alive()
        if gone or time.monotonic() > deadline:
            message = what() if callable(what) else what
            raise AssertionError(f"{message} ({'the process ended' if gone else f'waited {LIMIT:.0f} s'})")
        time.sleep(every)
    return result
