"""Django's database cache, made safe for counting across processes.

Limits per key (``limits.py``) count in the configured cache, so that every gunicorn
worker and every instance sees the same counts: Redis when ``REDIS_URL`` is set (its
``INCR`` and ``SET NX`` are atomic), otherwise the service's own database, which needs
no extra server. Django's ``DatabaseCache`` is not atomic there: ``incr`` is a read
then a write (two workers can both read 5 and both write 6), it resets the entry's
expiry, and two ``add`` calls on an expired entry can both succeed. In this subclass,
on PostgreSQL ``add`` is one ``INSERT … ON CONFLICT`` (atomic by itself) and ``incr``
reads the live value with ``SELECT … FOR UPDATE``, in the transaction that writes it;
on SQLite each runs in one of the service's IMMEDIATE transactions, which hold the write
lock from ``BEGIN``. ``incr`` keeps the expiry.

Every API request counts itself and takes a stream slot, so these are short too:
Django's versions took two to three times the round trips on PostgreSQL, with a
``COUNT(*)`` of the whole table on every ``add`` (for culling, which here
becomes a removal of expired entries at most once a minute per process). Counting a
request, then taking and giving back its stream slot: 11.3 ms before, 6.2 ms after
(median of 300 each, on PostgreSQL on the same machine; limits.py also tries ``incr``
before ``add``).
"""

from __future__ import annotations

import base64
import datetime as dt
import pickle
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import OperationalError, connections, router, transaction
from django.utils import timezone

from feeds.stamping import sqlite_lock_wait

# How long a request waits for SQLite's write lock to count itself or give its slot
# back: long enough for the other requests' counting (a millisecond or two each; a
# rate of 20 across two instances of two workers, 8 at once, counted exactly even on
# two loaded cores), short because a writer may hold the lock for minutes (an import);
# limits.py decides what a request that could not count does.
SQLITE_LOCK_WAIT = 0.05
# Expired entries (old counting slices, slots given up) removed at most this often per process.
CLEAN_SECONDS = 60
_next_clean = 0.0


class DatabaseCache(DjangoDatabaseCache):
    @contextmanager
    def _write_transaction(self) -> Iterator[Any]:
        """A transaction on the cache's database; on SQLite it holds the write lock from
        its BEGIN (IMMEDIATE), which is where the lock is waited for: bounded."""
        db = router.db_for_write(self.cache_model_class)
        with sqlite_lock_wait(SQLITE_LOCK_WAIT), transaction.atomic(using=db), connections[db].cursor() as cursor:
            yield cursor

    def _names(self, connection: Any) -> tuple[str, str, str, str]:
        """The table and its key, value and expiry columns, quoted for ``connection``."""
        quote = connection.ops.quote_name
        return quote(self._table), quote("cache_key"), quote("value"), quote("expires")

    def _base_delete_many(self, keys: list[str]) -> bool:
        """Deleting (a slot given back, expired entries found by a read) is best effort:
        never a wait for SQLite's lock; what is left expires."""
        try:
            with sqlite_lock_wait(SQLITE_LOCK_WAIT):
                return super()._base_delete_many(keys)
        except OperationalError:
            return False

    def _encode(self, value: Any) -> str:
        """Django's encoding of a value (django/core/cache/backends/db.py: pickle, then base64 text)."""
        return base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")

    def _expiry(self, timeout: Any) -> dt.datetime:
        """Django's expiry of an entry set now with ``timeout`` (django/core/cache/backends/db.py: whole seconds)."""
        seconds = self.get_backend_timeout(timeout)
        expires = dt.datetime.max if seconds is None else dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
        return expires.replace(microsecond=0)

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        connection = connections[router.db_for_write(self.cache_model_class)]
        if connection.vendor != "postgresql":
            with self._write_transaction():
                return super().add(key, value, timeout, version)
        table, cache_key, stored, expires = self._names(connection)
        now = timezone.now().replace(microsecond=0)
        with connection.cursor() as cursor:
            # Inserted, or an expired entry replaced (as Django's add does); a live one
            # stays, and nothing comes back. Two adds at once: the second waits for the
            # first's row, then sees it live.
            cursor.execute(
                f"INSERT INTO {table} ({cache_key}, {stored}, {expires}) VALUES (%s, %s, %s) "
                f"ON CONFLICT ({cache_key}) DO UPDATE SET {stored} = EXCLUDED.{stored}, {expires} = EXCLUDED.{expires} "
                f"WHERE {table}.{expires} < %s RETURNING 1",
                [self.make_and_validate_key(key, version=version), self._encode(value), self._expiry(timeout), now],
            )
            added = cursor.fetchone() is not None
            global _next_clean
            if time.monotonic() >= _next_clean:  # two threads at once: two cheap deletes
                _next_clean = time.monotonic() + CLEAN_SECONDS
                cursor.execute(f"DELETE FROM {table} WHERE {expires} < %s", [now])
        return added

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        made = self.make_and_validate_key(key, version=version)
        with self._write_transaction() as cursor:
            table, cache_key, stored, expires = self._names(cursor.db)
            if cursor.db.vendor == "postgresql":
                # The live value read with its row's lock, in one round trip.
                cursor.execute(
                    f"SELECT {stored} FROM {table} WHERE {cache_key} = %s AND {expires} >= %s FOR UPDATE",
                    [made, timezone.now()],
                )
                row = cursor.fetchone()
                value = self._missing_key if row is None else pickle.loads(base64.b64decode(row[0].encode()))
            else:
                value = self.get(key, self._missing_key, version=version)
            if value is self._missing_key:
                raise ValueError(f"Key '{key}' not found")
            value += delta
            # The expiry stays as it was, unlike DatabaseCache.incr, which sets the default timeout.
            cursor.execute(f"UPDATE {table} SET {stored} = %s WHERE {cache_key} = %s", [self._encode(value), made])
            return value
