"""The database cache's add and incr on PostgreSQL (access/cache.py): atomic across
connections, Django's meaning kept (an expired entry is absent; incr keeps the expiry),
and expired entries removed without a count of the table.

PostgreSQL only: there the service counts in this cache (SQLite uses diskcache; with
REDIS_URL, Redis). Each thread is a connection of its own, as workers are.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection

from access import cache as shared

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Committed tests leave their entries: the cache table is no model's, not flushed.
    cache.clear()


def at_once(threads: int, work: Callable[[], object]) -> list[object]:
    """``work()`` in ``threads`` threads released together; their results."""
    results: list[object] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def run() -> None:
        from django.db import connection as own

        try:
            start.wait(10)
            result = work()
            with lock:
                results.append(result)
        finally:
            own.close()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(60)
    return results


def expiry(key: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM access_cache WHERE cache_key = %s", [cache.make_key(key)])
        return cursor.fetchone()[0]


def test_of_many_adds_of_one_key_at_once_exactly_one_succeeds():
    results = at_once(8, lambda: cache.add("slot", threading.get_ident(), 30))
    assert sorted(results) == [False] * 7 + [True]
    assert cache.get("slot") is not None


def test_add_replaces_an_expired_entry_but_not_a_live_one():
    with time_machine.travel(1_000_000, tick=False):
        assert cache.add("slot", "first", 10)
        assert not cache.add("slot", "second", 10)
        assert cache.get("slot") == "first"
    with time_machine.travel(1_000_011, tick=False):
        assert cache.add("slot", "third", 10)
        assert cache.get("slot") == "third"


def test_increments_at_once_are_counted_exactly_and_keep_the_expiry():
    assert cache.add("count", 0, 300)
    expires = expiry("count")
    time.sleep(1.1)  # an incr that set a new expiry would move it by a second
    results = at_once(8, lambda: [cache.incr("count") for _ in range(25)])
    assert cache.get("count") == 200
    assert sorted(n for run in results for n in run) == list(range(1, 201))
    assert expiry("count") == expires


def test_incr_of_a_missing_or_expired_count_is_a_value_error():
    with pytest.raises(ValueError):
        cache.incr("never")
    with time_machine.travel(1_000_000, tick=False):
        assert cache.add("count", 5, 10)
        assert cache.incr("count") == 6
    with time_machine.travel(1_000_011, tick=False), pytest.raises(ValueError):
        cache.incr("count")


def test_expired_entries_are_removed_by_a_later_add(monkeypatch):
    with time_machine.travel(1_000_000, tick=False):
        for n in range(5):
            assert cache.add(f"old-{n}", n, 10)
    monkeypatch.setattr(shared, "_next_clean", 0.0)
    with time_machine.travel(1_000_100, tick=False):
        assert cache.add("new", 1, 10)
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM access_cache")
        assert [row[0] for row in cursor.fetchall()] == [cache.make_key("new")]


# --- the one-statement paths the limits use on PostgreSQL (issue 18, item 11) ---------


def test_a_window_counted_at_once_across_two_slices_admits_exactly_its_limit():
    """Requests at a slice's boundary (processes whose clocks read either side of it)
    each see the others: one entry, counted one request after the other."""
    results = at_once(8, lambda: [cache.admit_in_window("w", 100 + n % 2, 41, 100, 300)[0] for n in range(25)])
    assert sum(admitted for run in results for admitted in run) == 100
    admitted, counts = cache.admit_in_window("w", 101, 42, 100, 300)
    assert not admitted and sum(counts.values()) == 100


def test_a_window_drops_slices_that_left_it_and_ignores_an_expired_entry():
    with time_machine.travel(1_000_000, tick=False):
        assert cache.admit_in_window("w", 10, 5, 2, 60) == (True, {10: 1})
        assert cache.admit_in_window("w", 11, 6, 2, 60) == (True, {10: 1, 11: 1})
        assert cache.admit_in_window("w", 12, 7, 2, 60) == (False, {10: 1, 11: 1})  # refused: not counted
        assert cache.admit_in_window("w", 15, 11, 2, 60) == (True, {11: 1, 15: 1})  # slice 10 left the window
    with time_machine.travel(1_000_061, tick=False):
        assert cache.admit_in_window("w", 16, 12, 1, 60) == (True, {16: 1})  # the entry expired: absent


def test_slots_taken_at_once_are_each_taken_once_and_given_back_only_by_their_holder():
    slots = [f"slot:{n}" for n in range(3)]
    taken = at_once(8, lambda: cache.take_slot(slots, threading.get_ident(), 30))
    assert sorted(taken, key=str) == [None] * 5 + slots
    assert cache.take_slot(slots, "other", 30) is None
    holder = cache.get("slot:1")
    assert not cache.delete_if("slot:1", "not the holder") and cache.get("slot:1") == holder
    assert cache.delete_if("slot:1", holder) and cache.get("slot:1") is None
    assert cache.take_slot(slots, "next", 30) == "slot:1"


def test_an_expired_slot_is_free_again():
    with time_machine.travel(1_000_000, tick=False):
        assert cache.take_slot(["slot:0"], "dead", 10) == "slot:0"
        assert cache.take_slot(["slot:0"], "late", 10) is None
    with time_machine.travel(1_000_011, tick=False):
        assert cache.take_slot(["slot:0"], "late", 10) == "slot:0"
        assert not cache.delete_if("slot:0", "dead")  # the dead holder's token no longer gives it back
        assert cache.get("slot:0") == "late"


def test_a_request_counted_with_its_slot_takes_one_only_when_admitted():
    slots = ["slot:0", "slot:1"]
    assert cache.admit_and_take("w", 10, 1, 1, 60, slots, "a", 30) == (True, {10: 1}, "slot:0")
    assert cache.admit_and_take("w", 10, 1, 1, 60, slots, "b", 30) == (False, {10: 1}, None)  # refused: no slot
    assert cache.get("slot:1") is None
    assert cache.admit_and_take("other", 10, 1, 5, 60, slots, "c", 30) == (True, {10: 1}, "slot:1")
    assert cache.admit_and_take("other", 10, 1, 5, 60, slots, "d", 30) == (True, {10: 2}, None)  # counted, all held
