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

On PostgreSQL the limits go further (issue 18, item 11: a one-minute pull cost 24
statements): ``admit_in_window`` counts a request in its key's sliding window, a JSON
entry of counts per slice, in one statement (where the slices as entries took five);
``take_slot`` takes the first free stream slot in one (two: a read, then ``add``); and
``delete_if`` gives a slot back only while it holds its holder's token, in one (two).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
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


def _clean_due() -> bool:
    """Whether this process removes the expired entries now: at most once a minute (two
    threads at once: two cheap deletes)."""
    global _next_clean
    if time.monotonic() < _next_clean:
        return False
    _next_clean = time.monotonic() + CLEAN_SECONDS
    return True


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
            if _clean_due():
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

    # --- PostgreSQL's one-statement paths, used by limits.py and leases.py --------------

    def counts_in_one_statement(self) -> bool:
        """Whether the one-statement paths below are offered: on PostgreSQL, where
        ``INSERT … ON CONFLICT`` locks the row it updates and reads its latest version."""
        return connections[router.db_for_write(self.cache_model_class)].vendor == "postgresql"

    def admit_in_window(
        self, key: str, current: int, oldest: int, limit: int, timeout: int, version: int | None = None
    ) -> tuple[bool, dict[int, int]]:
        """Count one request in a sliding window of slices, if fewer than ``limit`` are
        counted in slices ``oldest`` to ``current + 1``; whether it was, and the counts
        per slice (after it, when it was).

        The window is one entry, ``{"<slice>": count, …}`` as JSON text, so that reading
        the window and counting in it is one statement on one row: PostgreSQL locks the
        row, evaluates the condition and the new value on its latest committed version,
        so requests at once (any slices, any process) are counted exactly, one after the
        other. Per-slice entries would need two statements (count, then read the others
        in a later snapshot; one statement reads them all in its own, older one). Slices
        older than ``oldest`` are dropped as the entry is written.
        """
        admitted, counts, _ = self.admit_and_take(key, current, oldest, limit, timeout, [], None, 0, version=version)
        return admitted, counts

    def take_slot(self, slots: list[str], value: Any, timeout: Any, version: int | None = None) -> str | None:
        """``add(slot, value, timeout)`` of the first of ``slots`` not held, in one
        statement; the slot taken, or None when every one is held. A slot another
        process takes between this statement's read and its insert is tried again with
        the next free one, as ``add`` one by one would."""
        connection = connections[router.db_for_write(self.cache_model_class)]
        made = {self.make_and_validate_key(slot, version=version): slot for slot in slots}
        with connection.cursor() as cursor:
            while made:
                params = self._slot_params(list(made), value, timeout)
                cursor.execute(f"WITH {self._slot_ctes(connection, '')} {self._slot_outcome(connection)}", params)
                free, taken = cursor.fetchone()
                if free is None:
                    return None
                if taken is not None:
                    return made[taken]
                del made[free]  # taken by another: it is held now
        return None

    def admit_and_take(
        self, key: str, current: int, oldest: int, limit: int, timeout: int,
        slots: list[str], value: Any, slot_timeout: Any, version: int | None = None,
    ) -> tuple[bool, dict[int, int], str | None | bool]:
        """``admit_in_window``, then, when admitted, ``take_slot`` of ``slots``, in one
        statement (a request's two limits, in the order the throttles check them). The
        third answer: the slot taken; None when every one is held (or not admitted);
        False when the free slot seen was taken by another in between (``take_slot``
        then tries the others)."""
        connection = connections[router.db_for_write(self.cache_model_class)]
        table, cache_key, stored, expires = self._names(connection)
        live = f"(CASE WHEN {table}.{expires} < %(now)s THEN '{{}}'::jsonb ELSE {table}.{stored}::jsonb END)"
        params = {
            "key": self.make_and_validate_key(key, version=version),
            "first": json.dumps({str(current): 1}),
            "expires": self._expiry(timeout),
            "now": timezone.now(),
            "current": str(current),
            "oldest": oldest,
            "newest": current + 1,
            "limit": limit,
            **self._slot_params([self.make_and_validate_key(slot, version=version) for slot in slots], value, slot_timeout),
        }
        # Admitted: the row comes back, with this request counted. Refused: no row,
        # nothing written, and no slot taken.
        counted = (
            f"INSERT INTO {table} ({cache_key}, {stored}, {expires}) VALUES (%(key)s, %(first)s, %(expires)s) "
            f"ON CONFLICT ({cache_key}) DO UPDATE SET {expires} = EXCLUDED.{expires}, {stored} = ("
            f"  SELECT jsonb_object_agg(slice, n)::text FROM ("
            f"    SELECT slice, n::int + CASE WHEN slice = %(current)s THEN 1 ELSE 0 END AS n"
            f"    FROM jsonb_each_text({live}) AS counts(slice, n) WHERE slice::bigint >= %(oldest)s"
            f"    UNION ALL SELECT %(current)s, 1 WHERE NOT {live} ? %(current)s"
            f"  ) AS kept) "
            f"WHERE (SELECT coalesce(sum(n::int), 0) FROM jsonb_each_text({live}) AS counts(slice, n)"
            f"       WHERE slice::bigint BETWEEN %(oldest)s AND %(newest)s) < %(limit)s "
            f"RETURNING {stored}"
        )
        if slots:
            ctes = self._slot_ctes(connection, "WHERE EXISTS (SELECT 1 FROM counted)")
            sql = f"WITH counted AS ({counted}), {ctes} SELECT (SELECT {stored} FROM counted), o.* FROM ({self._slot_outcome(connection)}) AS o"
        else:
            sql = counted
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
            admitted = row is not None and row[0] is not None
            taken: str | None | bool = None
            if admitted and slots:
                free, made = row[1], row[2]
                taken = False if made is None and free is not None else None
                if made is not None:
                    taken = slots[params["slots"].index(made)]
            if not admitted:  # refused: the counts that refused it, for Retry-After
                cursor.execute(
                    f"SELECT {stored} FROM {table} WHERE {cache_key} = %(key)s AND {expires} >= %(now)s", params
                )
                row = cursor.fetchone()
        counts = {} if row is None else {int(slice): n for slice, n in json.loads(row[0]).items()}
        return admitted, counts, taken

    def _slot_params(self, made: list[str], value: Any, timeout: Any) -> dict[str, Any]:
        return {
            "slots": made,
            "value": self._encode(value),
            "slot_expires": self._expiry(timeout),
            "slot_now": timezone.now().replace(microsecond=0),  # as add's
        }

    def _slot_ctes(self, connection: Any, condition: str) -> str:
        """The first free of ``%(slots)s``, then the insert (as ``add``: an expired entry
        is replaced, a live one kept) that takes it, when ``condition`` holds."""
        table, cache_key, stored, expires = self._names(connection)
        return (
            f"free AS ("
            f"  SELECT slot FROM unnest(%(slots)s::text[]) WITH ORDINALITY AS s(slot, n)"
            f"  WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {cache_key} = s.slot AND {expires} >= %(slot_now)s)"
            f"  ORDER BY n LIMIT 1"
            f"), taken AS ("
            f"  INSERT INTO {table} ({cache_key}, {stored}, {expires})"
            f"  SELECT slot, %(value)s, %(slot_expires)s FROM free {condition}"
            f"  ON CONFLICT ({cache_key}) DO UPDATE SET {stored} = EXCLUDED.{stored}, {expires} = EXCLUDED.{expires}"
            f"  WHERE {table}.{expires} < %(slot_now)s RETURNING {cache_key}"
            f")"
        )

    def _slot_outcome(self, connection: Any) -> str:
        """The slot found free and the slot taken: both, or only the first when another
        process took it in between, or neither when every slot is held."""
        _, cache_key, _, _ = self._names(connection)
        return f"SELECT (SELECT slot FROM free), (SELECT {cache_key} FROM taken)"

    def delete_if(self, key: str, value: Any, version: int | None = None) -> bool:
        """Delete ``key`` only while it holds ``value``, in one statement: a slot given
        back by its holder, never one that expired and was taken by another since."""
        connection = connections[router.db_for_write(self.cache_model_class)]
        table, cache_key, stored, expires = self._names(connection)
        made = self.make_and_validate_key(key, version=version)
        sql, params = f"DELETE FROM {table} WHERE ({cache_key} = %s AND {stored} = %s)", [made, self._encode(value)]
        if _clean_due():
            # The once-a-minute removal of expired entries (as add does), in the same
            # statement: slots are given back far more often than anything is added here.
            sql += f" OR {expires} < %s"
            params.append(timezone.now().replace(microsecond=0))
        try:
            with sqlite_lock_wait(SQLITE_LOCK_WAIT), connection.cursor() as cursor:
                cursor.execute(f"{sql} RETURNING {cache_key}", params)
                return made in {row[0] for row in cursor.fetchall()}
        except OperationalError:  # best effort, as _base_delete_many: what is left expires
            return False
