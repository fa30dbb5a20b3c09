"""Who may deliver what, when several ``send_alerts`` run at once (each notification is
sent once per channel, never twice).

- PostgreSQL: every process delivers; each delivery is claimed by locking its row
  (``SELECT … FOR UPDATE SKIP LOCKED``) for as long as it is being sent and recorded: a
  second process skips it, and takes it over at once if the first dies meanwhile.
- SQLite: one process delivers at a time, holding a file lock beside the database
  (``<database>.send_alerts.lock``). The database's own write lock would do too, but
  holding it while a webhook or SMTP server answers would stop every writer (pulls are
  recorded with a wait of a moment only). An in-memory database has one process anyway.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from alerts.models import Delivery

# How often a process waiting for the SQLite lock looks again (and at its stop signal).
LOCK_POLL = 0.2


def delivery_lock_path() -> str | None:
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return None
    return f"{connection.settings_dict['NAME']}.send_alerts.lock"


@contextmanager
def delivery_turn(stop: threading.Event) -> Iterator[bool]:
    """This process's turn to deliver: at once on PostgreSQL; on SQLite once it holds
    the file lock. False when ``stop`` was set while waiting for it."""
    path = delivery_lock_path()
    if path is None:
        yield True
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if stop.wait(LOCK_POLL):
                    yield False
                    return
        yield True
    finally:
        os.close(descriptor)  # releases the lock


@contextmanager
def claimed(delivery_id: int) -> Iterator[Delivery | None]:
    """The delivery, still pending and this process's to send and record inside the
    block; None when it was delivered meanwhile or another process holds it."""
    pending = Delivery.objects.select_related("notification").filter(pk=delivery_id, delivered_at__isnull=True)
    if not connection.features.has_select_for_update_skip_locked:
        # SQLite: delivery_turn made this process the only sender; no transaction, so
        # that the write lock is taken only for the record, not while sending.
        yield pending.first()
        return
    with transaction.atomic():
        yield pending.select_for_update(skip_locked=True, of=("self",)).first()
