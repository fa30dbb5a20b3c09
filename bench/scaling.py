"""Capacity figures for docs/scaling.md ("Capacity"): one instance's rows per second, and
how pulls on a replica change the primary's import throughput, in one run.

    .venv/bin/python bench/scaling.py                  # 1M-row window, 200k-row imports
    SCALING_ROWS=300000 SCALING_IMPORT_ROWS=100000 .venv/bin/python bench/scaling.py

It starts a private PostgreSQL primary and a streaming replica of it (tests/support/pgcluster.py:
initdb in a temporary folder, fsync off), generates SCALING_ROWS transactions by SQL
(bench/run.py's generator) and starts two gunicorn instances as bench/run.py does (the
shipped gunicorn.conf.py, one worker): one on the primary alone, one with
DATABASE_REPLICA_URL (its final windows are read on the replica). Then:

1. rows per second of one instance: GET of the whole window as CSV (best of 2), beside
   psql's COPY of the service's own query (as bench/run.py's ``copy_seconds``);
2. the primary's import throughput: ``manage.py import_feed`` of a SCALING_IMPORT_ROWS
   file (bench/imports.py's rows, ids apart from the pulled ones, removed before each
   import) with no puller, with a puller looping the big window on the primary, and on
   the replica; interleaved, REPEAT rounds, medians. The replica's rows read
   (pg_stat_database.tup_returned) show the replica pulls did reach it.

The figures are printed; copy them into docs/scaling.md ("Capacity") and bench/README.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))
import imports  # noqa: E402  (bench/imports.py: write_files, timed_import)
import run  # noqa: E402  (bench/run.py: Server, psql, generate_transactions, copy_seconds)

from tests.support.pgcluster import PostgresCluster  # noqa: E402

ROWS = int(os.getenv("SCALING_ROWS", "1000000"))
IMPORT_ROWS = int(os.getenv("SCALING_IMPORT_ROWS", "200000"))
REPEAT = int(os.getenv("BENCH_REPEAT", "3"))


class Puller(threading.Thread):
    """Pulls ``path`` from ``server`` again and again until stopped; counts rows."""

    def __init__(self, server: run.Server, path: str):
        super().__init__(daemon=True)
        self.server, self.path = server, path
        self.stopping = threading.Event()
        self.pulls = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            self.server.get(self.path)
            self.pulls += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def rows_read(cluster: PostgresCluster) -> int:
    with cluster.connect(run.DB) as connection:
        return connection.execute(
            "SELECT tup_returned FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]


def copy_seconds(start: str, end: str) -> float:
    """psql's COPY of the service's own CSV query of the window, with its planner settings
    (bench/run.py's copy_seconds, on the private primary), best of 2."""
    sql = run.service_query_sql("transactions", start, end, "csv", database_url=run.DATABASE_URL)
    return min(run.psql(f"SET enable_sort = off; SET jit = off; COPY ({sql}) TO STDOUT (FORMAT csv)", db=run.DB)
               for _ in range(2))


def import_once(env: dict[str, str], path: Path) -> float:
    # Only the imported rows go (the pulled ones are 'tx-…'): every import inserts them anew.
    run.psql("DELETE FROM payments_transaction WHERE id !~ '^tx-'", db=run.DB)
    run.psql("VACUUM payments_transaction", db=run.DB)  # not in the DELETE's transaction
    seconds, _ = imports.timed_import(env, path)
    return seconds


def main() -> None:
    primary = PostgresCluster.create().start()
    replica = None
    servers: list[run.Server] = []
    try:
        # bench/run.py's helpers read these at call time: point them at the private primary.
        run.PG = primary.url("").rstrip("/")
        run.DATABASE_URL = primary.url(run.DB)
        run.log(f"primary on port {primary.port}: {ROWS:,} transactions")
        run.setup_database()
        run.generate_transactions(0, ROWS, 0)
        run.enable_triggers()
        replica = PostgresCluster.replica_of(primary).start()
        replica_url = replica.url(run.DB)
        key = run.manage("create_api_key", "bench", capture=True).stdout.splitlines()[-1]
        on_primary = run.Server(run.DATABASE_URL, key)
        servers.append(on_primary)
        os.environ["DATABASE_REPLICA_URL"] = replica_url
        try:
            on_replica = run.Server(run.DATABASE_URL, key)
        finally:
            del os.environ["DATABASE_REPLICA_URL"]
        servers.append(on_replica)
        start, end = run.at(0), run.at(ROWS / run.PER_MINUTE)
        path = run.window_path("transactions", start, end)

        # 1. One instance's rows per second, beside COPY of the same query.
        copy = copy_seconds(start, end)
        _, total, size = min((on_primary.get(path) for _ in range(2)), key=lambda r: r[1])
        run.record(f"one instance (1 worker), {ROWS // 1000}k-row CSV window",
                   f"{total:.2f} s = {ROWS / total:,.0f} rows/s ({size / 1e6:.0f} MB); psql COPY {copy:.2f} s "
                   f"= {copy / total:.2f}× COPY")
        before = rows_read(replica)
        _, total, _ = min((on_replica.get(path) for _ in range(2)), key=lambda r: r[1])
        run.record(f"the same window read on the replica ({rows_read(replica) - before:,} rows read there)",
                   f"{total:.2f} s = {ROWS / total:,.0f} rows/s")

        # 2. The primary's imports while a puller loops the window: none, primary, replica.
        folder = Path(tempfile.mkdtemp())
        file = imports.write_files(folder, IMPORT_ROWS, ["csv"])["csv"]
        env = {**os.environ, "DATABASE_URL": run.DATABASE_URL, "DEBUG": "False", "SECRET_KEY": "bench" * 10,
               "ALLOWED_HOSTS": "*"}
        seconds: dict[str, list[float]] = {"no puller": [], "puller on the primary": [], "puller on the replica": []}
        pulls: dict[str, int] = dict.fromkeys(seconds, 0)
        # A replica behind the primary's position by more than REPLICA_MAX_WAIT sends a
        # pull to the primary (REPLICA_FALLBACK): the rows read on the replica tell.
        on_replica_rows: dict[str, int] = dict.fromkeys(seconds, 0)
        import_once(env, file)  # warm up
        for round_ in range(REPEAT):
            for label, server in (("no puller", None), ("puller on the primary", on_primary),
                                  ("puller on the replica", on_replica)):
                puller = Puller(server, path) if server else None
                read_before = rows_read(replica)
                if puller:
                    puller.start()
                    time.sleep(1)  # the first pull is under way
                seconds[label].append(import_once(env, file))
                if puller:
                    puller.stop()
                    pulls[label] += puller.pulls
                on_replica_rows[label] += rows_read(replica) - read_before
                run.log(f"round {round_ + 1}, {label}: {seconds[label][-1]:.1f} s")
        alone = statistics.median(seconds["no puller"])
        for label, times in seconds.items():
            median = statistics.median(times)
            run.record(f"import_feed of {IMPORT_ROWS // 1000}k rows into the primary, {label} (median of {REPEAT})",
                       f"{median:.1f} s = {IMPORT_ROWS / median:,.0f} rows/s ({alone / median:.2f}× alone; "
                       f"{pulls[label]} whole-window pulls during the imports, "
                       f"{on_replica_rows[label]:,} rows read on the replica)")
        file.unlink()
        print("\n| measurement | figure |\n|---|---|")
        for what, value, _ in run.results:
            print(f"| {what} | {value} |")
        print(f"\n{run.machine()}")
    finally:
        for server in servers:
            server.stop()
        if replica:
            replica.destroy()
        primary.destroy()


if __name__ == "__main__":
    main()
