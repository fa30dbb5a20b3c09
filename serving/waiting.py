"""The waiting slots: at most ``FINALITY_MAX_WAITERS`` requests of one process wait for
the database at once.

A request that must wait (for a window's writers, finality.py; for a replica's replay,
replicas.py; for a table another session has locked, copy_stream.py) holds one of these
slots while it waits. With none free it answers 503 at once instead of waiting, so that
waiting requests never take every thread of the process: the threads left over keep
serving every other feed and key (docs/no-row-lost.md, section 6). One pool for every
kind of wait, as each of them ties up a thread the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings


class WaitingSlots:
    """At most ``FINALITY_MAX_WAITERS`` requests of this process wait at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting = 0

    @contextmanager
    def slot(self, refused: Exception) -> Iterator[None]:
        """Hold a slot for the block; raise ``refused`` at once if none is free."""
        with self._lock:
            if self._waiting >= settings.FINALITY_MAX_WAITERS:
                raise refused
            self._waiting += 1
        try:
            yield
        finally:
            with self._lock:
                self._waiting -= 1


# The process's one pool (a module is imported once per process).
WAITING = WaitingSlots()
