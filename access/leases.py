"""Leases: one of N slots of a name, held in the shared cache, for as long as a piece of
work runs, across every worker and instance.

A slot is a cache entry ``<name>:<i>`` whose value is the holder's random token; taking
one is the cache's atomic ``add``. A lease is renewed every ``RENEW_SECONDS`` by one
thread per process for as long as it is held, and expires ``LEASE_SECONDS`` after its
last renewal: a process that dies (a worker killed mid-stream) frees its slots within
that time instead of holding them forever.
"""

from __future__ import annotations

import logging
import secrets
import threading

from django.core.cache import cache as shared_cache
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

LEASE_SECONDS = 30
RENEW_SECONDS = 10


class Lease:
    def __init__(self, slot: str, token: str):
        self.slot, self.token = slot, token
        self.released = False

    def release(self) -> None:
        """Give the slot back, once; best effort (an unreleased slot expires)."""
        if self.released:
            return
        self.released = True
        _keeper.forget(self)
        try:
            delete_if = getattr(shared_cache, "delete_if", None)
            if delete_if is not None:  # access/cache.py: one conditional DELETE
                delete_if(self.slot, self.token)
            elif shared_cache.get(self.slot) == self.token:
                shared_cache.delete(self.slot)
        except DatabaseError as error:
            logger.warning("stream slot not given back (it expires in %s s): %s", LEASE_SECONDS, type(error).__name__)

    def renew(self) -> None:
        shared_cache.touch(self.slot, LEASE_SECONDS)


def acquire(name: str, slots: int) -> Lease | None:
    """One free slot of ``name``'s ``slots``, or None when all are held."""
    names, token = slot_names(name, slots), new_token()
    if counts_in_one_statement():  # access/cache.py: the first free slot taken in one statement
        taken = shared_cache.take_slot(names, token, LEASE_SECONDS)
    else:
        held = shared_cache.get_many(names)
        taken = next((slot for slot in names if slot not in held and shared_cache.add(slot, token, LEASE_SECONDS)), None)
    return None if taken is None else held_lease(taken, token)


def slot_names(name: str, slots: int) -> list[str]:
    return [f"{name}:{n}" for n in range(slots)]


def new_token() -> str:
    return secrets.token_hex(8)


def held_lease(slot: str, token: str) -> Lease:
    """The lease of ``slot``, just taken with ``token`` (added with LEASE_SECONDS), renewed from now on."""
    lease = Lease(slot, token)
    _keeper.keep(lease)
    return lease


def counts_in_one_statement() -> bool:
    """Whether the shared cache counts and takes slots in one statement each (the
    service's DatabaseCache on PostgreSQL); Redis, diskcache and the others go through
    Django's cache API."""
    offered = getattr(shared_cache, "counts_in_one_statement", None)
    return offered is not None and offered()


class _Keeper:
    """The process's renewing thread, started with the first lease (after gunicorn has
    forked its workers: a thread does not survive a fork)."""

    def __init__(self) -> None:
        self._leases: set[Lease] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def keep(self, lease: Lease) -> None:
        with self._lock:
            self._leases.add(lease)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
                self._thread.start()

    def forget(self, lease: Lease) -> None:
        with self._lock:
            self._leases.discard(lease)

    def _run(self) -> None:
        stop = threading.Event()
        while not stop.wait(RENEW_SECONDS):
            with self._lock:
                leases = list(self._leases)
            try:
                for lease in leases:
                    lease.renew()
                # No connection kept open between rounds (it would also hold up a test
                # database's removal).
                connections.close_all()
            except Exception as error:  # the thread must outlive any one failure
                logger.warning("stream slots not renewed: %s", type(error).__name__)


_keeper = _Keeper()
