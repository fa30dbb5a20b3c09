"""Feed answers read from PostgreSQL streaming replicas, never staler than the primary.

``DATABASE_REPLICA_URL`` (one or more, comma separated) makes database aliases
``replica``, ``replica_2``, … (intarget_export/settings.py). Everything that writes (imports, pushes, the
admin, the pull log, the limits' counts) stays on ``default``, the primary; only the one
read of a feed answer (``streaming.feed_body``) asks ``reading_alias`` where to read.

Lag-aware finality (docs/no-row-lost.md). The window is first made final on the primary
(finality.py: no open writer of the feed's tables began before ``to``). Then, still on
the primary, the WAL insert position is taken. Every transaction that committed before
finality was reached inserted its commit record before it became visible there, so the
position taken after is at or beyond every such commit record. A replica is read only
once its replay position (``pg_last_wal_replay_lsn()``) has reached that position: it
has then applied every one of those commits. The COPY runs afterwards, in a transaction
of its own on that replica, so its snapshot is taken after the replay was seen there;
replay only moves forward, so that snapshot includes every one of those commits.

The wait is bounded by ``REPLICA_MAX_WAIT`` seconds and takes one of the waiting slots
finality takes (waiting.py), so that a stuck replica never ties up every thread. Past the
bound, or with no slot free, or when no replica answers, ``REPLICA_FALLBACK`` chooses:
``primary`` reads the primary (always current), ``unavailable`` answers 503 with
``Retry-After``. A replica
that is down (a short connect timeout, ``REPLICA_CONNECT_TIMEOUT``), paused or too far
behind is skipped for that request, never read stale; one that is no replica at all
(promoted, or a primary named by mistake) too.

``replica_waited`` tells who listens (the metrics) how each choice ended.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.dispatch import Signal

from serving.finality import WindowInFlight
from serving.waiting import WAITING

logger = logging.getLogger(__name__)

# Also how long each poll of the replicas' replay positions sleeps.
POLL_SECONDS = 0.01

REPLICAS_BEHIND = (
    "no database replica has replayed this window's last writes within {seconds:g} s "
    "(REPLICA_MAX_WAIT), and REPLICA_FALLBACK is 'unavailable'; ask again shortly"
)

# The insert position, and the WAL page size (to see a position just past a page header).
PRIMARY_POSITION_SQL = "SELECT pg_current_wal_insert_lsn()::text, current_setting('wal_block_size')::int"
# NULL on a server that is not in recovery (not a replica): it is then skipped.
REPLAY_POSITION_SQL = "SELECT pg_last_wal_replay_lsn()::text"

# Page headers of the WAL: the short one, and the long one at the start of each segment.
PAGE_HEADER_SIZES = (24, 40)

# Sent once per feed answer read with replicas configured, with ``outcome``: "replica"
# (read from a replica that had caught up; ``seconds`` says how long that took), "primary"
# (fell back to the primary), "unavailable" (503), "unchecked" (REPLICA_WAIT_FOR_REPLAY is
# off: read from a replica without waiting); and ``seconds``.
replica_waited = Signal()

OUTCOMES = ("replica", "primary", "unavailable", "unchecked")

# Spreads the reads over the replicas: each choice starts with the next one.
_turn = itertools.count()


def lsn(text: str) -> int:
    """``'16/B374D848'`` as a number of bytes."""
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def replica_aliases() -> list[str]:
    return list(settings.REPLICA_DATABASES)


def replay_target(insert_position: str, page: int) -> int:
    """The replay position that covers the primary's WAL insert position.

    A position just past a page header (the last record ended exactly at the end of a
    page) is where the next record will start; a replica that replayed that last record
    reports the end of the page, before the header, and no record can end inside the
    header: the page's start is the position to wait for.
    """
    position = lsn(insert_position)
    if position % page in PAGE_HEADER_SIZES:
        position -= position % page
    return position


def primary_position() -> int:
    """The primary's WAL insert position, as the replay position that covers it."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(PRIMARY_POSITION_SQL)
        text, page = cursor.fetchone()
    return replay_target(text, page)


def replay_position(alias: str) -> int | None:
    """The replica's replay position; None if it is down or not a replica."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(REPLAY_POSITION_SQL)
            text = cursor.fetchone()[0]
    except DatabaseError as error:
        # The error's text may name the host; its class says enough.
        logger.warning("database replica %r skipped: %s", alias, type(error).__name__)
        connections[alias].close_if_unusable_or_obsolete()
        return None
    if text is None:
        logger.warning("database replica %r skipped: it is not in recovery (not a replica)", alias)
        return None
    return lsn(text)


class _NoSlot(Exception):
    pass


def reading_alias() -> str:
    """The database alias a feed answer reads from, once the window is final on the
    primary: a replica that has replayed everything committed until now, or (past the
    bound, or with none) the primary; or WindowInFlight (503) if REPLICA_FALLBACK says so."""
    aliases = replica_aliases()
    if not aliases:
        return DEFAULT_DB_ALIAS
    turn = next(_turn) % len(aliases)
    aliases = aliases[turn:] + aliases[:turn]
    began = time.monotonic()
    if not settings.REPLICA_WAIT_FOR_REPLAY:
        # The switch the replay test flips to show what this wait prevents: never in production.
        for alias in aliases:
            if replay_position(alias) is not None:
                return _chosen(alias, "unchecked", began)
        return _fallen_back(began)
    # Taken after ensure_final returned (the caller's order): see the module's docstring.
    target = primary_position()
    live = _caught_up(aliases, target)
    if isinstance(live, str):
        return _chosen(live, "replica", began)
    if live:
        try:
            with WAITING.slot(refused=_NoSlot()):
                deadline = began + settings.REPLICA_MAX_WAIT
                while live and time.monotonic() < deadline:
                    time.sleep(POLL_SECONDS)
                    live = _caught_up(live, target)
                    if isinstance(live, str):
                        return _chosen(live, "replica", began)
        except _NoSlot:
            pass
    return _fallen_back(began)


def _caught_up(aliases: Sequence[str], target: int) -> str | list[str]:
    """The first of ``aliases`` whose replay reached ``target``; else those still up."""
    live = []
    for alias in aliases:
        position = replay_position(alias)
        if position is None:
            continue
        if position >= target:
            return alias
        live.append(alias)
    return live


def _chosen(alias: str, outcome: str, began: float) -> str:
    _announce(outcome, began)
    return alias


def _fallen_back(began: float) -> str:
    if settings.REPLICA_FALLBACK == "unavailable":
        _announce("unavailable", began)
        raise WindowInFlight(REPLICAS_BEHIND.format(seconds=settings.REPLICA_MAX_WAIT), wait=settings.FINALITY_RETRY_AFTER)
    _announce("primary", began)
    return DEFAULT_DB_ALIAS


def _announce(outcome: str, began: float) -> None:
    heard = replica_waited.send_robust(sender=reading_alias, outcome=outcome, seconds=time.monotonic() - began)
    for receiver, error in heard:
        if isinstance(error, Exception):
            logger.warning("after a replica choice, %s failed: %s", receiver.__qualname__, type(error).__name__)
