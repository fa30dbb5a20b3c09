"""Reading ahead in a thread (loading/read_ahead.py): order kept, errors raised
where items are taken, memory bounded, and the thread gone once the consumer stops."""

from __future__ import annotations

import threading
import time

import pytest

from loading.read_ahead import read_ahead

pytestmark = pytest.mark.engine_independent


def reading_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "import-read-ahead"]


def test_items_arrive_in_order():
    assert list(read_ahead(iter(range(1000)), depth=3)) == list(range(1000))
    assert not reading_threads()


def test_what_the_reader_raises_is_raised_where_the_items_are_taken():
    def items():
        yield 1
        yield 2
        raise ValueError("line 3: bad")

    taken = []
    with pytest.raises(ValueError, match="line 3: bad"):
        for item in read_ahead(items()):
            taken.append(item)
    assert taken == [1, 2]


def test_the_reader_holds_at_most_depth_items_and_stops_when_the_consumer_does():
    produced = []
    closed = threading.Event()

    def items():
        try:
            for n in range(10_000):
                produced.append(n)
                yield n
        finally:
            closed.set()

    ahead = read_ahead(items(), depth=4)
    assert next(ahead) == 0
    time.sleep(0.3)
    assert len(produced) <= 1 + 4 + 1  # the one taken, the queue, and one waiting to be put
    ahead.close()
    assert closed.is_set() and not reading_threads()
