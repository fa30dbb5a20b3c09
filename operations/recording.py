"""The pull log's writer: one entry per ended answer of a key (``answer_ended``).

Best effort: the answer has been sent, so a failed write is a warning in the log, and a
write never waits long (SQLite's write lock may be held by an import for minutes).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection

from api.answer_end import EndedAnswer
from feeds.stamping import sqlite_lock_wait
from operations.models import Pull

logger = logging.getLogger(__name__)

# On SQLite, how long recording waits for the write lock: a moment; the thread must go
# back to serving.
SQLITE_LOCK_WAIT = 0.05


def _connection_failed() -> bool:
    """The request's database connection is lost (or was closed after failing): then a
    write would first wait for a stalled server, or connect to a dead one. A connection
    that only saw an error (a lock timeout, a busy database: the 503s the console lists
    as failures) still records."""
    raw = connection.connection
    if raw is None:
        return True
    return bool(getattr(raw, "broken", False) or getattr(raw, "closed", False))


def record_pull(sender: object, answer: EndedAnswer, **kwargs: object) -> None:
    if answer.key is None:
        return  # no recognised key: not a pull (operations.md section 8), only a metric
    if _connection_failed():
        # The answer already failed on the database (a stalled, dead or busy server):
        # a write now would only hold up the closing of the client's connection.
        logger.warning("pull of %s not recorded in the pull log: the database connection failed", answer.feed)
        return
    window = answer.window
    entry = Pull(
        started_at=answer.started_at,
        key_name=answer.key.name,
        api_key=answer.key,
        feed=answer.feed[:64],
        window_from=window.start if window else None,
        window_to=window.end if window else None,
        from_sent=answer.sent_from,
        to_sent=answer.sent_to,
        format=answer.format,
        status=answer.status,
        rows=answer.rows,
        bytes=answer.bytes,
        duration_ms=answer.duration_ms,
        client=answer.client[:64],
        complete=answer.complete,
    )
    try:
        with sqlite_lock_wait(SQLITE_LOCK_WAIT):
            entry.save()
    except DatabaseError as error:
        logger.warning("pull of %s not recorded in the pull log: %s", entry.feed, type(error).__name__)
