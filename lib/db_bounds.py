"""Bounds on every wait for the database, so that no request hangs as long as a stall lasts.

Server-side (PostgreSQL, set per connection in ``DATABASES``, see ``postgresql_options``):

- ``connect_timeout``: a server that does not finish the handshake (down, frozen).
- ``lock_timeout``: a query waiting for a lock another session holds (``LOCK TABLE``, a
  migration, ``VACUUM FULL``).
- ``statement_timeout``: any one query of the service. A feed stream may legitimately
  run for minutes, so its COPY gets its own bound (``DATABASE_STREAM_STATEMENT_TIMEOUT``,
  off by default) through ``SET LOCAL`` in its transaction; the lock wait before it stays
  bounded by ``lock_timeout``.

Client-side (``Watchdog``): the server's timers do not fire when the server cannot run
at all (its processes stopped, its host frozen, a network that drops packets without a
reset). While the service waits on the database for one answer, a deadline is armed;
past it, the watchdog shuts the connection's socket down, and psycopg raises
OperationalError in the waiting thread. Before the first byte of an answer that becomes
a 503 with ``Retry-After`` (api/exceptions.py); mid-stream the transfer breaks.

SQLite's only wait is for the write lock: its busy timeout is the same lock bound.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


def milliseconds(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def postgresql_options(
    options: dict[str, Any], *, connect_timeout: float, lock_timeout: float, statement_timeout: float
) -> dict[str, Any]:
    """``DATABASES[…]["OPTIONS"]`` with the bounds added (psycopg connection parameters).

    Settings given in the environment's ``PGOPTIONS`` and in DATABASE_URL's own
    ``options`` come first, so ours win; 0 is "off". (libpq ignores PGOPTIONS once a
    connection names its own options: it is carried over here, not lost.)
    """
    given = " ".join(filter(None, [os.environ.get("PGOPTIONS", ""), options.get("options", "")]))
    ours = f"-c lock_timeout={milliseconds(lock_timeout)} -c statement_timeout={milliseconds(statement_timeout)}"
    merged = {**options, "options": f"{given} {ours}".strip()}
    if connect_timeout > 0:
        # libpq counts whole seconds and treats less than 2 as 2.
        merged["connect_timeout"] = max(2, round(connect_timeout))
    return merged


def stream_statement_timeout() -> int:
    """A stream's own statement bound, in milliseconds for ``statement_timeout`` (0: none)."""
    return milliseconds(settings.DATABASE_STREAM_STATEMENT_TIMEOUT)


def set_stream_statement_timeout(cursor: Any) -> None:
    """Inside a stream's transaction: its own statement bound instead of the service's."""
    cursor.execute(f"SET LOCAL statement_timeout = {stream_statement_timeout()}")


class Watchdog:
    """One thread per process that cuts the sockets of database waits past their deadline.

    ``armed(fd, seconds)`` brackets one wait. Cutting happens under the same lock as
    disarming: a socket is only shut down while its owner is still inside the wait, so
    the file descriptor cannot have been closed and reused by then.
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, int] = {}  # token -> socket fd
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    @contextmanager
    def armed(self, fd: int, seconds: float) -> Iterator[None]:
        if seconds <= 0 or fd < 0:
            yield
            return
        token = next(self._tokens)
        deadline = time.monotonic() + seconds
        with self._lock:
            self._start()
            self._armed[token] = fd
            heapq.heappush(self._heap, (deadline, token))
            if self._heap[0][1] == token:
                self._lock.notify()
        try:
            yield
        finally:
            with self._lock:
                self._armed.pop(token, None)

    def _start(self) -> None:
        # Lazily, and again after a fork (gunicorn workers): threads do not survive one.
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="database-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        with self._lock:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)  # disarmed in time
                if not self._heap:
                    self._lock.wait()
                    continue
                deadline, token = self._heap[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._lock.wait(left)
                    continue
                heapq.heappop(self._heap)
                self._cut(self._armed.pop(token))

    @staticmethod
    def _cut(fd: int) -> None:
        logger.warning("the database did not answer within DATABASE_STALL_TIMEOUT; connection cut")
        try:
            # fromfd duplicates the descriptor; shutdown acts on the socket both share.
            with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed by the server or the owner


WATCHDOG = Watchdog()


def socket_of(wrapper: Any) -> int:
    """The socket of a Django PostgreSQL connection (psycopg 3), or -1 when not connected."""
    raw = getattr(wrapper, "connection", None)
    try:
        return raw.pgconn.socket if raw is not None else -1
    except Exception:  # closed: psycopg raises OperationalError
        return -1


@contextmanager
def stall_bound(wrapper: Any) -> Iterator[None]:
    """Bracket one wait of ``wrapper`` (a Django connection) for the database."""
    if wrapper.vendor != "postgresql":
        yield
        return
    with WATCHDOG.armed(socket_of(wrapper), settings.DATABASE_STALL_TIMEOUT):
        yield


def bounded_execute(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """Django execute wrapper: every query of the service under the stall bound."""
    with stall_bound(context["connection"]):
        return execute(sql, params, many, context)


def install(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver (intarget_export/apps.py): bound this connection's queries."""
    if connection.vendor == "postgresql" and bounded_execute not in connection.execute_wrappers:
        connection.execute_wrappers.append(bounded_execute)
