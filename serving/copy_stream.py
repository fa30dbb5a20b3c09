"""The PostgreSQL fast path: the database formats the rows, COPY streams them.

The feed's own queryset (the same one the portable path iterates) gets one formatting
expression per column, from the column kind's ``sql_text`` / ``sql_json``, and runs as
``COPY (<query>) TO STDOUT`` through psycopg 3. The blocks COPY sends (about one per
row) are joined into chunks of ``CHUNK_SIZE`` before they are yielded: one write per
row costs more than the database's formatting. The output is byte for byte that of
``renderers.py``; ``tests/serving/test_copy_stream.py`` compares them.

Bounds (lib/db_bounds.py): before the stream is returned, ``wait_for_table_locks`` checks in
the view that its tables can be read (at once, or within ``lock_timeout`` in a waiting
slot), so that a table locked by another session is a 503, not a 200 that breaks. The
COPY itself runs under its own statement bound (its lock wait, in the rare case that a
lock is taken in between, under ``lock_timeout``: a broken transfer), and every chunk
read from the database under the stall bound.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, nullcontext

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction
from django.db.models import Expression, F, Func, QuerySet, TextField, Value

from feeds.registry import Column, Feed
from feeds.window import Window
from lib.db_bounds import stall_bound, stream_statement_timeout
from serving.finality import WindowInFlight
from serving.renderers import CHUNK_SIZE, CSVRenderer, JSONRenderer
from serving.tally import Tally
from serving.waiting import WAITING

# JSON rows hold no raw CR, LF (escaped by to_json) or control characters, so with these
# never-used quote and delimiter characters COPY's CSV format writes them verbatim.
JSON_COPY_OPTIONS = "FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02'"

TABLE_LOCKED = "{tables} is locked by another session (a migration or maintenance?); ask again shortly"
# Retry-After of a refused lock wait: the lock is someone's maintenance, not ours to time.
LOCKED_RETRY_AFTER = 5


class _Formatted(Func):
    output_field = TextField()

    def __init__(self, source: str | Expression, template: str):
        super().__init__(F(source) if isinstance(source, str) else source, template=template)


class _JSONObject(Func):
    """``'{"name":' || value || ',"other":' || value || '}'`` with keys as parameters."""

    arg_joiner = " || "
    template = "%(expressions)s"
    output_field = TextField()


def _csv_expressions(columns: Sequence[Column]) -> list[Expression]:
    return [_Formatted(column.expression, column.kind.sql_text) for column in columns]


def _json_expression(columns: Sequence[Column]) -> Expression:
    parts: list[Expression] = []
    for n, column in enumerate(columns):
        key = ("{" if n == 0 else ",") + JSONRenderer.key(column.name)
        parts += [Value(key), _Formatted(column.expression, column.kind.sql_json())]
    parts.append(Value("}"))
    return _JSONObject(*parts)


def tune_for_streaming(cursor: object, *, index_ordered: bool, stream_bound: bool = False) -> None:
    """Planner settings for a feed query, inside its transaction (as SET LOCAL would).

    - JIT off: it compiled the games query for half a second before the first row, for
      an execution of 40 ms (measured when it was turned off; bench/run.py times psql's
      COPY with ``jit = off`` too, to compare like with like).
    - No sort where the (stamp, id) index gives the order: for wide windows the planner
      may prefer a bitmap scan and a sort, which sends nothing until the sort is done.
    - ``stream_bound``: the stream's own statement bound instead of the service's
      (``lib.db_bounds.stream_statement_timeout``, as an import's stream sets it).

    All in one statement (``set_config(…, true)`` is ``SET LOCAL``): each is a round
    trip, and a one-minute pull is a dozen statements in all (issue 18, item 11).
    """
    values = {"jit": "off"}
    if index_ordered:
        values["enable_sort"] = "off"
    if stream_bound:
        values["statement_timeout"] = str(stream_statement_timeout())
    calls = ", ".join(["set_config(%s, %s, true)"] * len(values))
    cursor.execute(f"SELECT {calls}", [part for item in values.items() for part in item])  # type: ignore[attr-defined]


def _sql(feed: Feed, queryset: QuerySet, using: str) -> tuple[str, Sequence[object]]:
    sql, params = queryset.query.get_compiler(using).as_sql()
    if feed.orders_own_rows:
        # These rows are sorted by the database (games: by updated_at, session_id).
        # Under a LIMIT, even ALL, PostgreSQL's planner formats the rows after the sort,
        # not before it (make_sort_input_target postpones costly output expressions only
        # when a limit is asked): the first row leaves once the rows are sorted, and the
        # sort carries the narrow rows, not their JSON text (bench/README.md, games).
        sql += " LIMIT ALL"
    return sql, params


def wait_for_table_locks(tables: Sequence[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Return once ``tables`` can be read, in a transaction of its own: at once, or in a
    waiting slot within ``lock_timeout`` (then OperationalError: 503); with no slot free,
    503 at once. Run in the view, before the answer starts: the stream's own transaction
    cannot be opened there, as an answer that is never read would leave it open.
    ``using``: the database the stream reads (a replica replays the primary's locks)."""
    try:
        _lock_tables(tables, using, nowait=True)
        return
    except OperationalError:  # lock_not_available: the transaction is rolled back
        pass
    locked = WindowInFlight(TABLE_LOCKED.format(tables=", ".join(tables)), wait=LOCKED_RETRY_AFTER)
    with WAITING.slot(refused=locked):
        _lock_tables(tables, using, nowait=False)


def _lock_tables(tables: Sequence[str], using: str, *, nowait: bool) -> None:
    """Take ``tables``' ACCESS SHARE lock and give it back, in one statement: LOCK TABLE
    inside a DO block, which is a transaction of its own in autocommit (the lock is
    held until its end, as in the BEGIN, LOCK, COMMIT it replaces; a top-level LOCK
    TABLE needs a transaction block). Inside a caller's transaction, a savepoint, so
    that a refusal does not abort that transaction."""
    connection = connections[using]
    names = ", ".join(connection.ops.quote_name(table) for table in tables)
    savepoint = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(f"DO $$ BEGIN LOCK TABLE {names} IN ACCESS SHARE MODE{' NOWAIT' if nowait else ''}; END $$")


def _copy(
    sql: str, params: Sequence[object], options: str, *, index_ordered: bool, tally: Tally | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> Iterator[bytes]:
    """Yield COPY's output joined into chunks of about CHUNK_SIZE bytes; count the rows
    into ``tally`` (COPY sends one block per row)."""
    connection = connections[using]
    # A transaction of its own, begun when the first chunk is asked for: on a replica,
    # after reading_alias saw it replay far enough (replicas.py), so its snapshot has
    # every commit the window needs.
    with transaction.atomic(using=using), connection.cursor() as wrapper:
        tune_for_streaming(wrapper, index_ordered=index_ordered, stream_bound=True)
        cursor = wrapper.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with ExitStack() as stack:
            with stall_bound(connection):  # sending the COPY and its first answer
                copy = stack.enter_context(cursor.copy(f"COPY ({sql}) TO STDOUT ({options})", params))
            done = False
            while not done:
                pending: list[bytes] = []
                size = 0
                # One bound per chunk, not per block (about one per row): arming costs.
                with stall_bound(connection):
                    while size < CHUNK_SIZE:
                        block = copy.read()
                        if not block:
                            done = True
                            break
                        pending.append(bytes(block))
                        size += len(block)
                if pending:
                    yield b"".join(pending)
                    # Counted once taken: a client gone at this chunk never got its rows.
                    if tally is not None:
                        tally.rows += len(pending)


def copy_csv(
    feed: Feed, window: Window, columns: Sequence[Column], tally: Tally | None = None, using: str = DEFAULT_DB_ALIAS
) -> Iterator[bytes]:
    yield from CSVRenderer().stream(columns, [])  # the header line, exactly as the portable path
    sql, params = _sql(feed, feed.queryset(window.start, window.end).values_list(*_csv_expressions(columns)), using)
    yield from _copy(sql, params, "FORMAT csv", index_ordered=not feed.orders_own_rows, tally=tally, using=using)


def copy_json(
    feed: Feed, window: Window, columns: Sequence[Column], tally: Tally | None = None, using: str = DEFAULT_DB_ALIAS
) -> Iterator[bytes]:
    sql, params = _sql(feed, feed.queryset(window.start, window.end).values_list(_json_expression(columns)), using)
    # The "[" first, as CSV sends its header first: a failure before the first row then
    # breaks a started transfer, instead of ending as the server's own (HTML) 500 page.
    yield b"["
    # COPY ends every row with LF; the array wants ",\n" between rows and "]" after the
    # last, so each chunk's final LF is held back until the next chunk or the end.
    opened = False
    for chunk in _copy(sql, params, JSON_COPY_OPTIONS, index_ordered=not feed.orders_own_rows, tally=tally, using=using):
        text = chunk[:-1].replace(b"\n", b",\n")
        yield (b",\n" if opened else b"") + text
        opened = True
    yield b"]"
