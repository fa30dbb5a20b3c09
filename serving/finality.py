"""A window is served only once it is final: every row that will ever carry a stamp
inside it is already visible. Never half-full. The reasoning is in docs/no-row-lost.md.

- A window that ends in the future: 425 Too Early, ``Retry-After`` = seconds until it
  ends (by the stamping clock, the database's).
- PostgreSQL: stamps are taken by triggers, after the writing transaction has an id and
  while it holds a lock on the table (``feeds/db_stamping.py``). So any transaction that could
  still commit a stamp earlier than ``to`` is one that (a) has a transaction id, (b)
  started before ``to``, and (c) holds a lock on one of the feed's tables. The request
  waits until none is left, polling, for at most ``FINALITY_MAX_WAIT`` seconds; then it
  answers 503 with ``Retry-After`` rather than an incomplete window.
- SQLite: stamps are taken under the database's write lock; taking that lock once waits
  for every writer in flight, and any later writer stamps after it.

Waiting never starves the process: a request that finds writers open waits only if it
gets one of ``FINALITY_MAX_WAITERS`` waiting slots (per process, fewer than its threads;
waiting.py); without one it answers the same 503 at once. So the threads left over keep serving every
other feed and key while one writer holds a table (tests/serving/test_waiting_starvation.py).

Each such wait is announced by the ``finality_waited`` signal once it ends (the metrics
of operations/ listen), so that nothing here knows who counts them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.dispatch import Signal
from rest_framework.exceptions import APIException

from feeds.stamping import clock, sqlite_lock_wait
from feeds.window import Window
from serving.waiting import WAITING

logger = logging.getLogger(__name__)

NOT_ENDED = "the window ends at {end}, in the future; ask again after it ends"
WRITERS_OPEN = (
    "rows of this window may still be in flight: a transaction that began before {end} is still "
    "writing to {tables}; ask again shortly"
)
NO_PRIVILEGE = (
    "window finality cannot be checked: the database role {role!r} cannot see other sessions' "
    "transactions; grant it pg_read_all_stats"
)
# Also the system check's message (checks.py).
PRIVILEGE_HINT = "GRANT pg_read_all_stats TO {role};"

# Poll interval while waiting for writers: short, as writers usually commit in milliseconds.
POLL_SECONDS = 0.02
# SQLite: how long a request tries for the write lock before it needs a waiting slot.
SQLITE_FIRST_TRY = 0.05

# Writers that could still commit a stamp earlier than %(end)s into one of %(tables)s.
# pg_locks shows prepared (two-phase) transactions with a NULL pid; they count too.
OPEN_WRITERS_SQL = """
SELECT EXISTS (
    SELECT 1
    FROM pg_stat_activity a
    JOIN pg_locks l ON l.pid = a.pid
    WHERE a.datname = current_database()
      AND a.pid <> pg_backend_pid()
      AND a.backend_xid IS NOT NULL
      AND a.xact_start < %(end)s
      AND l.locktype = 'relation'
      AND l.granted
      AND l.relation = ANY(%(tables)s::regclass[])
) OR EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE l.pid IS NULL AND l.locktype = 'relation' AND l.relation = ANY(%(tables)s::regclass[])
)
"""

CAN_SEE_WRITERS_SQL = """
SELECT current_user, rolsuper OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')
FROM pg_roles WHERE rolname = current_user
"""

# The first look, in one statement (issue 18, item 11: it took three, and a fourth to
# clear the snapshot): the clock, the privilege check and the first poll for writers.
# Why the result is the one the three statements gave:
# - The clock is statement_timestamp(): the database clock when the server received
#   this statement, so before this statement reads pg_locks and pg_stat_activity, as
#   clock_timestamp() in a statement of its own was before the poll (the order
#   docs/no-row-lost.md relies on: a writer without an id when the poll looks stamps
#   after it, hence after `now`). Read earlier, never later: `now` can only be older
#   (a 425 a few microseconds sooner), never lets a window through sooner.
# - The privilege does not depend on time or order; whether the poll's answer counts
#   is decided on it in Python, as before.
FIRST_LOOK_SQL = f"""
SELECT statement_timestamp(), privilege.*, ({OPEN_WRITERS_SQL}) FROM ({CAN_SEE_WRITERS_SQL}) AS privilege
"""


class WindowNotFinal(APIException):
    status_code = 425
    default_code = "window_not_final"

    def __init__(self, detail: str, wait: float):
        super().__init__(detail)
        # DRF's exception handler turns `wait` into a Retry-After header.
        self.wait = max(1, math.ceil(wait))


class WindowInFlight(WindowNotFinal):
    status_code = 503
    default_code = "window_in_flight"


# Sent when a request's wait for writers ends, with ``outcome``: "final" (the window
# became final), "gave_up" (503 after FINALITY_MAX_WAIT, or the database failed while
# waiting), "no_slot" (503 at once: every waiting slot was taken); and ``seconds`` waited.
finality_waited = Signal()


@contextmanager
def _waiting_for_writers(refused: Exception) -> Iterator[None]:
    """A waiting slot for the block, which waits for the window to become final and
    returns once it is (or raises); ``finality_waited`` is told how that ended."""
    began = time.monotonic()
    outcome = "no_slot"
    try:
        with WAITING.slot(refused=refused):
            outcome = "gave_up"
            yield
            outcome = "final"
    finally:
        seconds = time.monotonic() - began
        heard = finality_waited.send_robust(sender=ensure_final, outcome=outcome, seconds=seconds)
        for receiver, error in heard:
            if isinstance(error, Exception):
                logger.warning("after a finality wait, %s failed: %s", receiver.__qualname__, type(error).__name__)


def ensure_final(window: Window, tables: Sequence[str]) -> None:
    """Return once ``window`` is final; raise WindowNotFinal (425 or 503) otherwise."""
    if window.end is None or window.is_empty:
        return
    if connection.vendor == "postgresql":
        _wait_for_postgresql_writers(window, tables)
    else:
        _wait_for_sqlite_writers(window)


def _not_ended(window: Window, now: object) -> WindowNotFinal:
    assert window.end is not None
    return WindowNotFinal(
        NOT_ENDED.format(end=f"{window.end:%Y-%m-%d %H:%M:%S}"), wait=(window.end - now).total_seconds()  # type: ignore[operator]
    )


def _wait_for_postgresql_writers(window: Window, tables: Sequence[str]) -> None:
    if not settings.FINALITY_WAIT_FOR_WRITERS:
        now = clock()
        if window.end > now:  # type: ignore[operator]
            raise _not_ended(window, now)
        return
    params = {"end": window.end, "tables": list(tables)}
    with connection.cursor() as cursor:

        def fresh_snapshot() -> None:
            # Inside a transaction PostgreSQL would keep answering from its first
            # snapshot of pg_stat_activity; refresh it before every poll. Outside one
            # (autocommit, as requests run) every statement is a transaction of its own,
            # whose end throws the snapshot away (what pg_stat_clear_snapshot() does):
            # the statement would change nothing.
            if connection.in_atomic_block or not connection.get_autocommit():
                cursor.execute("SELECT pg_stat_clear_snapshot()")

        def writers_open() -> bool:
            fresh_snapshot()
            cursor.execute(OPEN_WRITERS_SQL, params)
            return cursor.fetchone()[0]

        # The clock first (in the same statement as the first poll, read before it):
        # a writer with no transaction id when the locks are read stamps after that
        # read, hence after `now`, hence at or after `end`.
        fresh_snapshot()
        cursor.execute(FIRST_LOOK_SQL, params)
        now, role, can_see, open_at_first = cursor.fetchone()
        if window.end > now:  # type: ignore[operator]
            raise _not_ended(window, now)
        if not can_see:
            raise WindowInFlight(NO_PRIVILEGE.format(role=role), wait=settings.FINALITY_RETRY_AFTER)
        if not open_at_first:
            return
        in_flight = WindowInFlight(
            WRITERS_OPEN.format(end=f"{window.end:%Y-%m-%d %H:%M:%S}", tables=", ".join(tables)),
            wait=settings.FINALITY_RETRY_AFTER,
        )
        with _waiting_for_writers(refused=in_flight):
            deadline = time.monotonic() + settings.FINALITY_MAX_WAIT
            while time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
                if not writers_open():
                    return
            raise in_flight


def check_can_see_writers() -> str | None:
    """None when this role sees other sessions' transactions; else the role's name."""
    with connection.cursor() as cursor:
        cursor.execute(CAN_SEE_WRITERS_SQL)
        role, can_see = cursor.fetchone()
    return None if can_see else role


def _wait_for_sqlite_writers(window: Window) -> None:
    in_flight = WindowInFlight(
        WRITERS_OPEN.format(end=f"{window.end:%Y-%m-%d %H:%M:%S}", tables="the database"),
        wait=settings.FINALITY_RETRY_AFTER,
    )

    def lock_clock(wait: float) -> object:
        # IMMEDIATE: the BEGIN takes the write lock, once every writer in flight is done.
        with sqlite_lock_wait(wait), transaction.atomic():
            return clock()

    try:
        # Free at once or within a moment, as it nearly always is (other requests' checks
        # hold it for microseconds): no slot needed.
        now = lock_clock(SQLITE_FIRST_TRY)
    except OperationalError:  # "database is locked"
        try:
            with _waiting_for_writers(refused=in_flight):
                now = lock_clock(settings.FINALITY_MAX_WAIT)
        except OperationalError:  # still locked after the wait
            raise in_flight from None
    if window.end > now:  # type: ignore[operator]
        raise _not_ended(window, now)
