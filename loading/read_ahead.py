"""Reading ahead in a thread, so that parsing an import overlaps the database's work.

A CSV import's time goes to two things that need not wait for each other: the Python
side (reading, decoding, matching lines) and the database (COPY). Run one after the
other, the import waits at the end of every chunk while the database works through it;
with the reading in a thread (libpq and sqlite release the GIL while they wait), the
next chunk is ready when the database is. At most ``depth`` items are held, so memory
stays bounded; what the reader raises is raised where the items are taken.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()


def read_ahead(items: Iterator[T], depth: int = 4) -> Iterator[T]:
    """``items``, produced in a thread up to ``depth`` ahead of the consumer."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ready.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put((_END, None))
        except BaseException as error:  # handed to the consumer, raised there
            ready.put((_END, error))
        finally:
            getattr(items, "close", lambda: None)()

    thread = threading.Thread(target=produce, name="import-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let a blocked put see the stop
            try:
                ready.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()
