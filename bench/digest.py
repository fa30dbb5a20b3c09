"""Benchmark: a day's digest against serving that day as CSV (assurance.md section 14:
"a day's digest costs no more than serving that day as CSV").

    .venv/bin/python bench/digest.py          # PostgreSQL at 127.0.0.1:5432 (BENCH_PG), then SQLite; ~5 minutes
    BENCH_REPEAT=5 .venv/bin/python bench/digest.py

It creates the database ``intarget_bench_digest`` (dropped first), generates 1M
transactions in one day by SQL (bench/run.py's rows, 1,000 a minute), serves them with
gunicorn (bench/run.py's Server: the shipped gunicorn.conf.py, one worker) and times,
interleaved, median of REPEAT rounds, each to its last byte over HTTP:

- ``GET /api/transactions`` of the day, CSV;
- ``GET /api/transactions/digest`` of the day, without ``step``, with ``step=1h`` (24
  parts) and ``step=1m`` (1,440 parts);

then the same for the ``games`` feed over one day of 300k actions in 30k sessions
(bench/games.py's seed), and the transactions day again on SQLite (rows written by
sqlite3, as bench/run.py's SQLite path). The table goes into bench/README.md between
the ``digest`` markers.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("BENCH_DB", "intarget_bench_digest")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (bench/run.py: Server, psql, manage, the data)
from games import seed_sql  # noqa: E402  (bench/games.py: the sessions' seed)

REPEAT = int(os.getenv("BENCH_REPEAT", "3"))
ROWS = 1_000_000
DAY = ("2024-01-01 00:00:00", "2024-01-02 00:00:00")
results: list[tuple[str, str, str]] = []


def record(what: str, value: str, target: str = "") -> None:
    run.log(f"{what}: {value}")
    results.append((what, value, target))


def query(start: str, end: str, **params: str) -> str:
    extra = "".join(f"&{name}={value}" for name, value in params.items())
    return f"from={start.replace(' ', '+')}&to={end.replace(' ', '+')}{extra}"


def compare(server: run.Server, feed: str, label: str, rows: int) -> None:
    """The day as CSV against its digests, interleaved; medians of REPEAT."""
    paths = {
        "CSV": f"/api/{feed}?{query(*DAY)}",
        "digest": f"/api/{feed}/digest?{query(*DAY)}",
        "digest, step=1h (24 parts)": f"/api/{feed}/digest?{query(*DAY, step='1h')}",
        "digest, step=1m (1,440 parts)": f"/api/{feed}/digest?{query(*DAY, step='1m')}",
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    sizes: dict[str, int] = {}
    for path in paths.values():  # warm: the table's pages in the cache, as for a pull
        server.get(path)
    for _ in range(REPEAT):
        for name, path in paths.items():
            _, seconds, size = server.get(path)
            times[name].append(seconds)
            sizes[name] = size
    csv = statistics.median(times["CSV"])
    record(f"{label}: the day ({rows:,} rows) as CSV over HTTP", f"{csv:.2f} s, {sizes['CSV'] / 1e6:.0f} MB")
    for name in list(paths)[1:]:
        seconds = statistics.median(times[name])
        record(f"{label}: the day's {name}", f"{seconds:.2f} s = {seconds / csv:.2f}× CSV ({sizes[name]:,} bytes)",
               "≤ 1× CSV")


def postgresql() -> None:
    run.log(f"PostgreSQL: {ROWS:,} transactions in one day ({run.DB})")
    run.setup_database()
    run.generate_transactions(0, ROWS, 0)  # 1,000 a minute from 2024-01-01 00:00: 16.7 hours
    run.log("the games feed: 300k actions in 30k sessions over the day")
    started = time.perf_counter()
    run.psql(seed_sql(0, 30_000, 10, dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), 86_400 - 100))
    run.log(f"seeded in {time.perf_counter() - started:.1f} s")
    run.enable_triggers()
    key = run.manage("create_api_key", "bench", capture=True).stdout.splitlines()[-1]
    server = run.Server(run.DATABASE_URL, key)
    try:
        compare(server, "transactions", "PostgreSQL transactions", ROWS)
        compare(server, "games", "PostgreSQL games", 30_000)
    finally:
        server.stop()
        run.psql(f"DROP DATABASE IF EXISTS {run.DB}", db="postgres")


def sqlite() -> None:
    run.log(f"SQLite: {ROWS:,} transactions in one day")
    data = Path(tempfile.mkdtemp())
    env = {"DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}"}
    run.manage("migrate", "-v0", env=env)
    key = run.manage("create_api_key", "bench", env=env, capture=True).stdout.splitlines()[-1]
    with sqlite3.connect(data / "db.sqlite3") as db:
        db.executemany(
            "INSERT INTO payments_transaction (id, player_id, amount, currency, type, status, dir, created_at, "
            "updated_at, user_agent, ip) VALUES (?, ?, ?, 'EUR', 'Normal', 'Success', 'IN', ?, ?, 'Mozilla/5.0', "
            "'10.0.0.1')",
            ((f"tx-{n}", f"player-{n % 100000}", f"{n % 5000}.{n % 100:02d}", run.at(n / run.PER_MINUTE - 1),
              (run.T0 + dt.timedelta(minutes=n / run.PER_MINUTE)).strftime("%Y-%m-%d %H:%M:%S.%f"))
             for n in range(ROWS)),
        )
    server = run.Server(env["DATABASE_URL"], key)
    try:
        compare(server, "transactions", "SQLite transactions", ROWS)
    finally:
        server.stop()


def main() -> None:
    postgresql()
    sqlite()
    heading = (f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, median of {REPEAT} interleaved rounds, "
               f"on {run.machine()} (`bench/digest.py`).")
    run.write_table("digest", heading, results)


if __name__ == "__main__":
    main()
