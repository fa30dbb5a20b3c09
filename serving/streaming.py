"""The bytes of a feed's answer for a window, shared by the API and ``export_feed``.

Rows are read with a server-side cursor and formatted as they arrive, so memory stays
flat whatever the window's size. Errors are not caught here: a failure mid-stream must
propagate so that the server aborts the transfer (no terminating chunk) rather than end
a truncated body cleanly.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection, transaction

from feeds.money import money_as_strings
from feeds.registry import Feed
from feeds.window import Window
from serving.copy_stream import copy_csv, copy_json, tune_for_streaming, wait_for_table_locks
from serving.replicas import reading_alias
from serving.tally import Tally

# Rows fetched from the cursor per round trip.
FETCH_SIZE = 5000


def feed_body(feed: Feed, window: Window, renderer, tally: Tally | None = None) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    """Yield the answer in chunks; the query starts when the first chunk is asked for.
    The data rows sent are counted into ``tally`` when one is given.

    Call it only once the window is final (finality.ensure_final): with replicas, the
    database it reads is chosen here, and a replica is current only when chosen after.
    On PostgreSQL the database formats the rows and COPY streams them (copy_stream.py);
    elsewhere ``portable_body`` formats them here. Both give the same bytes.
    """
    # Read now, not when streaming starts: the custom-field columns of `users`.
    columns = feed.all_columns()
    if getattr(renderer, "money_as_strings", False):
        columns = money_as_strings(columns)
    if connection.vendor == "postgresql":
        # The one place feed answers choose their database: a replica that has replayed
        # what the (already final) window needs, or the primary (replicas.py).
        using = reading_alias()
        # Here, in the view: a locked table (or a stalled database) is a 503 before the
        # answer starts, not a 200 that breaks.
        wait_for_table_locks(feed.tables, using)
        copy = copy_csv if renderer.format == "csv" else copy_json
        return copy(feed, window, columns, tally, using)
    return portable_body(feed, window, renderer, columns, tally)


def portable_body(feed: Feed, window: Window, renderer, columns=None, tally=None) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    """The reference implementation: rows from a server-side cursor, formatted in Python."""
    columns = columns if columns is not None else feed.all_columns()

    def counted(rows: Iterator) -> Iterator:
        for row in rows:
            tally.rows += 1
            yield row

    def body() -> Iterator[bytes]:
        rows = feed.rows(window.start, window.end, columns, sqlite_text=connection.vendor == "sqlite")
        if connection.vendor == "postgresql":
            # Inside a transaction the server-side cursor streams; outside one, Django
            # declares it WITH HOLD and PostgreSQL computes the whole result first.
            with transaction.atomic():
                with connection.cursor() as cursor:
                    tune_for_streaming(cursor, index_ordered=not feed.orders_own_rows)
                yield from renderer.stream(columns, read(rows))
        else:
            # SQLite: an atomic block would take the write lock (IMMEDIATE mode) for the
            # length of the stream; one SELECT already reads one consistent snapshot.
            yield from renderer.stream(columns, read(rows))

    def read(rows) -> Iterator:  # type: ignore[no-untyped-def]
        fetched = rows.iterator(chunk_size=FETCH_SIZE)
        return fetched if tally is None else counted(fetched)

    return body()
