"""Limits per key (operations.md section 7), through DRF's throttle seam.

- ``API_RATE_LIMIT`` (``N/s``, ``N/min``, ``N/hour``): requests per key per period, the
  period sliding (``admit_request``), counted in the shared cache (``cache.py``), so the
  count holds across every worker, process and instance. One more answers 429 with
  ``Retry-After``: the seconds until a request would be admitted again.
- ``API_MAX_STREAMS``: responses of one key in progress at once, the wait for a final
  window included. Each response holds a *lease*, one of the key's N slots in the
  shared cache, from authentication until its last byte is sent (``hold_until_sent``).
  A lease expires ``LEASE_SECONDS`` after it was last renewed, so that a worker killed
  mid-stream frees its slot; live leases are renewed by one thread per process
  (``leases.py``), not by the stream, whose connection is busy with COPY.

When the counts live in the SQLite feed database (the database cache configured there
by hand; the default on SQLite is diskcache's own files) and another writer holds its
one write lock (an import, say), a request that cannot count itself within 50 ms is
let through uncounted, with a warning in the log, rather than wait or fail. On
PostgreSQL (row locks), diskcache or Redis nothing is skipped; a failing cache answers
503.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection
from django.http import HttpResponseBase
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from access.leases import LEASE_SECONDS, Lease, acquire, counts_in_one_statement, held_lease, new_token, slot_names
from access.models import ApiKey
from lib.when_sent import RELEASE, when_sent

logger = logging.getLogger(__name__)
T = TypeVar("T")

PERIODS = {"s": 1, "min": 60, "hour": 3600}
BAD_RATE = "API_RATE_LIMIT must be N/s, N/min or N/hour with N a whole number of at least 1; got {value!r}"
BAD_STREAMS = "API_MAX_STREAMS must be a whole number of at least 1; got {value!r}"
# DRF's Throttled adds "Expected available in N seconds." after these.
RATE_REACHED = "rate limit reached: this key may make {count} requests per {period} (API_RATE_LIMIT)."
STREAMS_FULL = (
    "this key already has {count} responses in progress, the most at once (API_MAX_STREAMS); "
    "ask again when one has ended."
)
# A rate's period is counted in this many slices: the window slides by one slice.
SLICES = 60
# The Retry-After of a refused stream: streams take seconds to minutes; no exact time.
STREAM_RETRY_AFTER = 5


@dataclass(frozen=True)
class Rate:
    count: int
    period: str  # "s", "min" or "hour"

    @property
    def seconds(self) -> int:
        return PERIODS[self.period]


def rate_limit() -> Rate:
    return _parse_rate(str(settings.API_RATE_LIMIT).strip())


def max_streams() -> int:
    return _parse_streams(str(settings.API_MAX_STREAMS).strip())


@cache
def _parse_rate(value: str) -> Rate:
    match = re.fullmatch(r"(\d+)/(s|min|hour)", value)
    if not match or int(match[1]) < 1:
        raise ImproperlyConfigured(BAD_RATE.format(value=value))
    return Rate(int(match[1]), match[2])


@cache
def _parse_streams(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ImproperlyConfigured(BAD_STREAMS.format(value=value))
    return int(value)


def _increment(name: str, delta: int, timeout: int) -> int:
    """Add ``delta`` to a count in the shared cache, atomically; the new count. Most
    requests find their slice's count made already: tried first, it is one write."""
    try:
        return shared_cache.incr(name, delta)
    except ValueError:  # not made yet, or expired: a new count
        if shared_cache.add(name, max(delta, 0), timeout=timeout):
            return max(delta, 0)
        return shared_cache.incr(name, delta)  # made by another process in between


def admit_request(key: ApiKey, now: float) -> int | None:
    """Count one request of ``key``: None when admitted, else the seconds to wait (``_admit``)."""
    return _admit(key, now, take_slot=False)[0]


def _admit(key: ApiKey, now: float, *, take_slot: bool) -> tuple[int | None, Lease | None | bool]:
    """Count one request of ``key`` if fewer than the rate's count were admitted in the
    last period; return None when admitted, else the whole seconds until one would be.

    The period is a sliding window of SLICES slices, each counted in the shared cache:
    at any moment the requests admitted in the last period (to one slice's width) are at
    most the rate's count, whenever the period began. A refused request is not counted,
    so a client that keeps asking is admitted as soon as its oldest requests age out.

    ``take_slot`` (only where the cache counts in one statement): an admitted request
    also takes one of the key's stream slots in the same statement, as KeyStreamCap
    would next; second in the answer: its lease, None when every slot is held, False
    when the free one was taken by another in between (KeyStreamCap tries the others).
    """
    rate = rate_limit()
    width = rate.seconds / SLICES
    current = int(now // width)
    if counts_in_one_statement():
        # The whole window in one entry, counted in one statement (access/cache.py).
        slots, token = (slot_names(_streams(key), max_streams()), new_token()) if take_slot else ([], None)
        admitted, by_slice, taken = shared_cache.admit_and_take(
            f"access:rate:{key.pk}:{rate.seconds}", current, current - SLICES + 1, rate.count, rate.seconds * 2,
            slots, token, LEASE_SECONDS,
        )
        if admitted:
            return None, held_lease(taken, token) if isinstance(taken, str) else taken
        # As the sliced path below sees a refused request: counted in its slice, once.
        counts = [by_slice.get(n, 0) + (n == current) for n in range(current - SLICES + 1, current + 2)]
        return _retry_after(counts, current, width, now, rate), None
    # The window's slices, then the next one: a request of another process may already
    # count there (its clock read a moment later). Of two requests racing for the last
    # place, each counts itself before it reads the others, so at least one sees the
    # other: in the same slice, its increment returns its own number.
    names = [f"access:rate:{key.pk}:{rate.seconds}:{n}" for n in range(current - SLICES + 1, current + 2)]
    mine = _increment(names[-2], 1, timeout=rate.seconds * 2)
    others = shared_cache.get_many([*names[:-2], names[-1]])
    counts = [others.get(name, 0) for name in names[:-2]] + [mine, others.get(names[-1], 0)]
    if sum(counts) <= rate.count:
        return None, False
    _increment(names[-2], -1, timeout=rate.seconds * 2)
    return _retry_after(counts, current, width, now, rate), None


def _retry_after(counts: list[int], current: int, width: float, now: float, rate: Rate) -> int:
    """The whole seconds until a request refused with ``counts`` (the window's slices,
    then the next one; this request counted in its own) would be admitted."""
    # Admitted again once enough of the oldest slices have left the window (the slice
    # at position j leaves it j + 1 slices from now); this request itself counts as one.
    waiting = sum(counts)
    for position, count in enumerate(counts):
        waiting -= count
        if waiting + 1 <= rate.count:
            break
    return max(1, math.ceil((current + 1 + position) * width - now))


# What ``counted`` returns for a request it let through uncounted.
UNCOUNTED = object()


def counted(request: Request, limit: str, count: Callable[[], T]) -> T | object:
    """``count()``, or UNCOUNTED while SQLite's write lock is held by a long writer (see
    the module's docstring). Once one limit found it held, the request's other limit
    does not wait for it again."""
    if getattr(request, "sqlite_locked", False):
        return UNCOUNTED
    try:
        return count()
    except OperationalError as error:
        if connection.vendor != "sqlite" or "locked" not in str(error):
            raise
        logger.warning("%s not counted for this request: the SQLite database is locked by a writer", limit)
        request.sqlite_locked = True  # type: ignore[attr-defined]
        return UNCOUNTED


class KeyRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        take_slot = counts_in_one_statement() and _stream_cap_follows(view)
        admitted = counted(request, "API_RATE_LIMIT", lambda: _admit(key, time.time(), take_slot=take_slot))
        if admitted is UNCOUNTED:
            return True
        wait, slot = admitted  # type: ignore[misc]
        if wait is not None:
            rate = rate_limit()
            raise Throttled(wait=wait, detail=RATE_REACHED.format(count=rate.count, period=rate.period))
        if take_slot:
            request.stream_slot_taken = slot  # type: ignore[attr-defined]
        return True


def _stream_cap_follows(view: Any) -> bool:
    """Whether KeyStreamCap checks this request right after KeyRateThrottle: then the
    rate count takes the stream slot in its own statement (one statement fewer a
    request). Right after: a throttle between them that refused would leave the slot
    taken, and renewed, with no response to give it back."""
    kinds = [type(throttle) for throttle in view.get_throttles()]
    return any(kinds[n : n + 2] == [KeyRateThrottle, KeyStreamCap] for n in range(len(kinds)))


def _streams(key: ApiKey) -> str:
    """The name of ``key``'s stream slots in the shared cache."""
    return f"access:streams:{key.pk}"


class KeyStreamCap(BaseThrottle):
    """Takes one of the key's stream slots for this request; ``hold_until_sent`` gives
    it back when the response has been sent (or refused)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        # Taken already with the rate's count (KeyRateThrottle), unless the slot it found
        # free was taken by another in between (False): then as without it.
        lease = getattr(request, "stream_slot_taken", False)
        if lease is False:
            lease = counted(request, "API_MAX_STREAMS", lambda: acquire(_streams(key), max_streams()))
        if lease is None:
            raise Throttled(wait=STREAM_RETRY_AFTER, detail=STREAMS_FULL.format(count=max_streams()))
        if isinstance(lease, Lease):
            request.stream_lease = lease  # type: ignore[attr-defined]
        return True


def hold_until_sent(request: Request, response: HttpResponseBase) -> HttpResponseBase:
    """Keep the request's stream lease until ``response`` has been sent."""
    lease: Lease | None = getattr(request, "stream_lease", None)
    if lease is None:
        return response
    if response.streaming:
        # When the server closes the response (after its last byte, on a client gone
        # away, or on an error), last: after the body's own close, so once the database
        # work has ended, and after the answer's report (lib/when_sent.py).
        return when_sent(response, RELEASE, lease.release)
    # Made whole in memory: nothing of it is left to compute, and the next request of
    # the key, sent as soon as this answer arrives, must find the slot free.
    lease.release()
    return response
