"""Benchmark of the games feed against PostgreSQL's own COPY of the same window's actions.

    .venv/bin/python bench/games.py         # PostgreSQL at 127.0.0.1:5432 (BENCH_PG), ~10 minutes

It creates the database ``intarget_bench_games`` (dropped first), seeds by SQL 300k game
actions in 30k sessions over one day, serves them with gunicorn (bench/run.py's Server:
the shipped gunicorn.conf.py, one worker), and times, median of REPEAT, interleaved in
the same run:

- psql ``COPY (SELECT * FROM games_gameaction WHERE <the window>) TO STDOUT`` of the raw
  actions that select the window's sessions: the reference;
- psql COPY of the service's own query (the feed's SQL, as serving/copy_stream.py sends it);
- ``GET /api/games`` of the day window, CSV and JSON: time to first byte and in all.

Then it adds 4.7M actions in 235k sessions over the 27 days before (5M in all) and times
an hour window and the day window again; and the SQLite path (the same 300k actions
written through the summary's triggers, then the day window over HTTP). The table goes
into bench/README.md between the ``games-results`` markers.

bench/run.py may call ``games_bench(record)`` to add these rows to its own table.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (bench/run.py: Server, psql, machine)

DB = "intarget_bench_games"
DATABASE_URL = f"{run.PG}/{DB}"
REPEAT = int(os.getenv("BENCH_REPEAT", "3"))
DAY = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
Record = Callable[..., None]
# copy_stream.JSON_COPY_OPTIONS: the JSON rows pass through COPY verbatim.
JSON_COPY_OPTIONS = "FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02'"


def text(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def seed_sql(first: int, sessions: int, actions: int, start: dt.datetime, seconds: float) -> str:
    """``sessions`` sessions of ``actions`` actions 10 s apart, starting evenly over ``seconds``."""
    return f"""
        INSERT INTO games_gameaction (id, session_id, player_id, game_code, game_name, game_vendor, currency,
            action, amount, balance_type, ip, user_agent, ref_code, created_at, recorded_at)
        SELECT 'act-' || s || '-' || a, 'sess-' || s, 'player-' || (s % 100000), 'book-of-ra', 'Book of Ra',
            'Novomatic', 'EUR', CASE WHEN a % 3 = 0 THEN 'win' ELSE 'bet' END, round((random() * 20)::numeric, 2),
            'Normal', '10.0.0.1', 'Mozilla/5.0', NULL, t, t
        FROM generate_series({first}, {first + sessions - 1}) s,
             LATERAL generate_series(1, {actions}) a,
             LATERAL (SELECT timestamptz '{text(start)}+00'
                        + ((s - {first}) * ({seconds} / {sessions})) * interval '1 second'
                        + a * interval '10 seconds' AS t) x"""


def seed(first: int, sessions: int, actions: int, start: dt.datetime, seconds: float) -> float:
    # History keeps its stamps (recorded_at = created_at): the stamping trigger steps
    # aside; the session summary's triggers do not, so their cost is in the load.
    run.psql("ALTER TABLE games_gameaction DISABLE TRIGGER stamp", db=DB)
    took = run.psql(seed_sql(first, sessions, actions, start, seconds), db=DB)
    run.psql("ALTER TABLE games_gameaction ENABLE TRIGGER stamp", db=DB)
    run.psql("VACUUM ANALYZE", db=DB)
    return took


def service_sql(start: dt.datetime, end: dt.datetime, fmt: str) -> str:
    """The SQL the service runs for a games window, as bench/run.py gets it, on this file's database."""
    return run.service_query_sql("games", text(start), text(end), fmt, database_url=DATABASE_URL)


def raw_copy_sql(start: dt.datetime, end: dt.datetime) -> str:
    window = f"'{text(start)}+00' AND {{0}} < '{text(end)}+00'"
    return (f"SELECT * FROM games_gameaction WHERE (created_at >= {window.format('created_at')})"
            f" OR (recorded_at >= {window.format('recorded_at')})")


def get(server: run.Server, path: str, fmt: str) -> tuple[float, float, float, int]:
    """(first byte, first row, in all, bytes) of one request. The first byte is the CSV
    header or JSON's "[", sent before the query runs; the first row comes after the
    database has selected and ordered the window's sessions."""
    started = time.perf_counter()
    server.connection.request("GET", path, headers={"Authorization": f"Bearer {server.key}"})
    response = server.connection.getresponse()
    head = response.readline() if fmt == "csv" else response.read(1)
    first_byte = time.perf_counter() - started
    row = response.read(1)
    first_row = time.perf_counter() - started
    size = len(head) + len(row)
    while chunk := response.read(1 << 20):
        size += len(chunk)
    assert response.status == 200, (response.status, path)
    return first_byte, first_row, time.perf_counter() - started, size


def window(server: run.Server, start: dt.datetime, end: dt.datetime, label: str, record: Record,
           target_total: str = "", target_first: str = "") -> None:
    """Median of REPEAT of: raw COPY, the service's SQL by psql COPY, HTTP (CSV and JSON)."""
    reference = f"SET jit = off; COPY ({raw_copy_sql(start, end)}) TO STDOUT (FORMAT csv)"
    for fmt in ("csv", "json"):
        options = "FORMAT csv" if fmt == "csv" else JSON_COPY_OPTIONS
        own = f"SET jit = off; COPY ({service_sql(start, end, fmt)}) TO STDOUT ({options})"
        path = run.window_path("games", text(start), text(end), fmt)
        server.get(path)  # warm, as the latest window is
        raw, query, first, first_rows, total = [], [], [], [], []
        size = rows = 0
        for _ in range(REPEAT):
            raw.append(run.psql(reference, db=DB))
            query.append(run.psql(own, db=DB))
            ttfb, ttfr, seconds, size = get(server, path, fmt)
            first.append(ttfb)
            first_rows.append(ttfr)
            total.append(seconds)
        if fmt == "csv":
            out = Path(tempfile.mkstemp()[1])
            run.psql(f"COPY ({raw_copy_sql(start, end)}) TO STDOUT", db=DB, out=str(out))
            rows = sum(1 for _ in out.open())
            out.unlink()
            record(f"{label}: psql COPY of its {rows:,} raw actions (reference)", f"{statistics.median(raw):.3f} s")
        record(f"{label} {fmt.upper()}: psql COPY of the service's query", f"{statistics.median(query):.3f} s")
        total_s = statistics.median(total)
        record(f"{label} {fmt.upper()}: service over HTTP",
               f"{total_s:.3f} s, {size / 1e6:.1f} MB, {statistics.median(raw) / total_s:.2f}× raw COPY", target_total)
        record(f"{label} {fmt.upper()}: time to first byte (header or \"[\")", f"{statistics.median(first):.3f} s")
        record(f"{label} {fmt.upper()}: time to the first row", f"{statistics.median(first_rows):.3f} s", target_first)


def sqlite_path(record: Record) -> None:
    """The same 300k actions written into SQLite through the summary's triggers, then the
    day window over HTTP."""
    sys.path.insert(0, str(run.ROOT))
    from feeds.model_fields import SQLITE_DECIMAL_ADD, SQLITE_DECIMAL_SUM, _sqlite_decimal_add, _SQLiteDecimalSum

    data = Path(tempfile.mkdtemp())
    env = {"DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}"}
    run.manage("migrate", "-v0", env=env)
    key = run.manage("create_api_key", "bench", env=env, capture=True).stdout.splitlines()[-1]
    rows = [
        (f"act-{s}-{a}", f"sess-{s}", f"player-{s % 100000}", "bet" if a % 3 else "win", f"{(s * 7 + a) % 2000 / 100:.2f}",
         (DAY + dt.timedelta(seconds=s * 86400 / 30000 + a * 10)).strftime("%Y-%m-%d %H:%M:%S.%f"))
        for s in range(30000) for a in range(1, 11)
    ]
    insert = (
        "INSERT INTO games_gameaction (id, session_id, player_id, game_code, game_name, game_vendor, currency, "
        "action, amount, balance_type, ip, user_agent, created_at, recorded_at) VALUES (?, ?, ?, 'book-of-ra', "
        "'Book of Ra', 'Novomatic', 'EUR', ?, ?, 'Normal', '10.0.0.1', 'Mozilla/5.0', ?, ?)"
    )
    # The reference: the same insert into a copy of the database without the triggers.
    (data / "plain.sqlite3").write_bytes((data / "db.sqlite3").read_bytes())
    with sqlite3.connect(data / "plain.sqlite3") as db:
        for name in ("insert", "update", "delete"):
            db.execute(f"DROP TRIGGER games_session_{name}")
        started = time.perf_counter()
        db.executemany(insert, ((*row, row[-1]) for row in rows))
        plain = time.perf_counter() - started
    with sqlite3.connect(data / "db.sqlite3") as db:
        # The triggers' exact decimal functions, as the service registers them on its connections.
        db.create_aggregate(SQLITE_DECIMAL_SUM, 1, _SQLiteDecimalSum)
        db.create_function(SQLITE_DECIMAL_ADD, 2, _sqlite_decimal_add, deterministic=True)
        started = time.perf_counter()
        db.executemany(insert, ((*row, row[-1]) for row in rows))
        loaded = time.perf_counter() - started
    record("SQLite: 300k actions inserted through the session triggers",
           f"{loaded:.1f} s ({len(rows) / loaded:,.0f} rows/s; {plain:.1f} s without the triggers)")
    server = run.Server(env["DATABASE_URL"], key)
    try:
        path = run.window_path("games", text(DAY), text(DAY + dt.timedelta(days=1)))
        server.get(path)
        results = [server.get(path) for _ in range(REPEAT)]
        record("SQLite: games day window (30k sessions) CSV over HTTP",
               f"{statistics.median(r[1] for r in results):.2f} s, first byte {statistics.median(r[0] for r in results):.2f} s")
    finally:
        server.stop()


def games_bench(record: Record) -> None:
    """Every measurement of this file, reported through ``record(what, value, target)``."""
    run.psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")
    run.psql(f"CREATE DATABASE {DB}", db="postgres")
    run.manage("migrate", "-v0", env={"DATABASE_URL": DATABASE_URL})
    key = run.manage("create_api_key", "bench", env={"DATABASE_URL": DATABASE_URL}, capture=True).stdout.splitlines()[-1]
    took = seed(0, 30000, 10, DAY, 86400)
    record("seed 300k actions in 30k sessions (INSERT … SELECT, summary triggers on)", f"{took:.1f} s")
    day = (DAY, DAY + dt.timedelta(days=1))
    hour = (DAY + dt.timedelta(hours=10), DAY + dt.timedelta(hours=11))
    server = run.Server(DATABASE_URL, key)
    try:
        window(server, *day, "games day window, 300k actions", record, "< 1 s", "< 0.3 s")
    finally:
        server.stop()
    took = seed(30000, 235000, 20, DAY - dt.timedelta(days=27), 27 * 86400)
    record("seed 4.7M more actions in 235k sessions (summary triggers on)", f"{took:.1f} s")
    server = run.Server(DATABASE_URL, key)
    try:
        window(server, *hour, "games hour window, 5M actions", record, "< 0.5 s")
        window(server, *day, "games day window, 5M actions", record)
    finally:
        server.stop()
    run.psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")
    sqlite_path(record)


def main() -> None:
    results: list[tuple[str, str, str]] = []

    def record(what: str, value: str, target: str = "") -> None:
        run.log(f"{what}: {value}")
        results.append((what, value, target))

    games_bench(record)
    heading = f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, median of {REPEAT}, on {run.machine()}."
    run.write_table("games-results", heading, results)


if __name__ == "__main__":
    main()
