"""Django's database cache, made safe for counting across processes.

Limits per key (``limits.py``) count in the configured cache, so that every gunicorn
worker and every instance sees the same counts: Redis when ``REDIS_URL`` is set (its
``INCR`` and ``SET NX`` are atomic), otherwise the service's own database, which needs
no extra server. Django's ``DatabaseCache`` is not atomic there: ``incr`` is a read
then a write (two workers can both read 5 and both write 6), it resets the entry's
expiry, and two ``add`` calls on an expired entry can both succeed. This subclass runs
each of them in one transaction that first locks the entry's row (PostgreSQL:
``SELECT … FOR UPDATE``; SQLite: the service's IMMEDIATE transactions hold the write
lock from ``BEGIN``), and ``incr`` keeps the expiry.
"""

from __future__ import annotations

import base64
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import OperationalError, connections, router, transaction

from intarget_export.stamping import sqlite_lock_wait

# How long a request waits for SQLite's write lock to count itself or give its slot
# back: long enough for the other requests' counting (a millisecond or two each; a
# rate of 20 across two instances of two workers, 8 at once, counted exactly even on
# two loaded cores), short because a writer may hold the lock for minutes (an import);
# limits.py decides what a request that could not count does.
SQLITE_LOCK_WAIT = 0.05


class DatabaseCache(DjangoDatabaseCache):
    @contextmanager
    def _locked(self, key: str) -> Iterator[Any]:
        """A transaction holding the lock on ``key``'s row (made and validated)."""
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        # On SQLite the BEGIN (IMMEDIATE) is where the lock is waited for: bound it.
        with sqlite_lock_wait(SQLITE_LOCK_WAIT), transaction.atomic(using=db), connection.cursor() as cursor:
            if connection.features.has_select_for_update:
                cursor.execute(
                    f"SELECT {quote('cache_key')} FROM {quote(self._table)} WHERE {quote('cache_key')} = %s FOR UPDATE",
                    [key],
                )
            yield cursor

    def _base_delete_many(self, keys: list[str]) -> bool:
        """Deleting (a slot given back, expired entries found by a read) is best effort:
        never a wait for SQLite's lock; what is left expires."""
        try:
            with sqlite_lock_wait(SQLITE_LOCK_WAIT):
                return super()._base_delete_many(keys)
        except OperationalError:
            return False

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        with self._locked(self.make_and_validate_key(key, version=version)):
            return super().add(key, value, timeout, version)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        made = self.make_and_validate_key(key, version=version)
        with self._locked(made) as cursor:
            value = self.get(key, self._missing_key, version=version)
            if value is self._missing_key:
                raise ValueError(f"Key '{key}' not found")
            value += delta
            # Django's encoding of a value (db.py: pickle, then base64 text); the expiry
            # stays as it was, unlike DatabaseCache.incr, which sets the default timeout.
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            quote = cursor.db.ops.quote_name
            cursor.execute(
                f"UPDATE {quote(self._table)} SET {quote('value')} = %s WHERE {quote('cache_key')} = %s",
                [encoded, made],
            )
            return value
