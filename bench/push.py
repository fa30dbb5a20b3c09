"""Benchmark: a push over HTTP against PostgreSQL's own ``COPY … FROM``, in one run.

    .venv/bin/python bench/push.py                  # 100k transactions, median of 3
    .venv/bin/python bench/push.py 100000 --repeat 5

It creates the database ``intarget_bench_push`` (dropped first) at 127.0.0.1:5432 (or
``BENCH_PG``), writes one CSV file of ``count`` transactions (bench/imports.py's rows),
and serves the service with gunicorn through the shipped ``gunicorn.conf.py`` (one
worker). Then, interleaved, ``repeat`` times each, on emptied tables:

- ``POST /api/transactions`` of that file (a push key, ``Content-Length``, the file sent
  as it is read), into ``payments_transaction``: parsed, checked, upserted in one
  transaction and stamped by the service;
- ``psql \\copy … FROM`` of the same file into ``push_copy_target``, a table of the same
  shape (``LIKE payments_transaction INCLUDING ALL``: columns, defaults, indexes; no
  stamping trigger), sent over the same kind of socket;
- a second push of the same file onto the rows of the first (every row an update);
- ``manage.py import_feed`` of the same file into the emptied table (the same write path
  in its own process, start-up included): what the HTTP layer adds, or saves.

It prints the medians and the push's speed as a fraction of COPY's. ``push_vs_copy`` is
what bench/run.py calls.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from imports import COLUMNS, write_files  # noqa: E402  (bench/ is not a package)

ROOT = Path(__file__).resolve().parent.parent
PG = os.getenv("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = "intarget_bench_push"
PYTHON = sys.executable


def psql(sql: str, db: str = DB) -> float:
    """Run ``sql`` (or a psql meta-command) with psql; return seconds."""
    started = time.perf_counter()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"{PG}/{db}", "-c", sql], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def manage(*args: str) -> str:
    env = {**os.environ, "DATABASE_URL": f"{PG}/{DB}"}
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
                          capture_output=True).stdout


class Server:
    """gunicorn with the shipped configuration, one worker, on a free port."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        env = {**os.environ, "DATABASE_URL": f"{PG}/{DB}", "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "1",
               "DEBUG": "False", "SECRET_KEY": "bench" * 10, "ALLOWED_HOSTS": "127.0.0.1",
               "SECURE_SSL_REDIRECT": "False", "API_RATE_LIMIT": "100000/min"}
        self.process = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null",
             "intarget_export.wsgi:application"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(400):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("gunicorn did not start")

    def push(self, key: str, path: Path) -> tuple[float, str]:
        """Seconds from the first byte sent to the answer read, and the answer."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv",
                   "Content-Length": str(path.stat().st_size)}
        started = time.perf_counter()
        with path.open("rb") as body:
            connection.request("POST", "/api/transactions", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read().decode()
        seconds = time.perf_counter() - started
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"push answered {response.status}: {answer[:500]}")
        return seconds, answer

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def push_vs_copy(rows: int, repeat: int = 3, record: Callable[[str, str, str], None] | None = None) -> dict[str, float]:
    """Median seconds of a push, a COPY and an all-update push of ``rows`` transactions;
    ``record(what, value, target)`` is told each figure (bench/run.py's table)."""
    record = record or (lambda what, value, target="": print(f"{what}: {value}", flush=True))
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="postgres")
    psql(f"CREATE DATABASE {DB}", db="postgres")
    manage("migrate", "-v0")
    psql("CREATE TABLE push_copy_target (LIKE payments_transaction INCLUDING ALL)")
    key = manage("create_api_key", "bench push", "--push").splitlines()[-1]
    folder = Path(tempfile.mkdtemp())
    path = write_files(folder, rows, ["csv"])["csv"]
    server = Server()
    pushes, copies, updates, imports = [], [], [], []
    try:
        server.push(key, path)  # warm up: imports, connections
        for _ in range(repeat):
            psql("TRUNCATE payments_transaction")
            seconds, answer = server.push(key, path)
            assert answer == f'{{"rows":{rows}}}', answer
            pushes.append(seconds)
            updates.append(server.push(key, path)[0])
            psql("TRUNCATE push_copy_target")
            copies.append(psql(f"\\copy push_copy_target ({','.join(COLUMNS)}) FROM '{path}' (FORMAT csv, HEADER)"))
            psql("TRUNCATE payments_transaction")
            started = time.perf_counter()
            manage("import_feed", "transactions", str(path))
            imports.append(time.perf_counter() - started)
    finally:
        server.stop()
        path.unlink()
        folder.rmdir()
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", db="postgres")
    push, copy, update, imported = (statistics.median(values) for values in (pushes, copies, updates, imports))
    size = f"{rows // 1000}k transactions CSV"
    record(f"push of {size} over HTTP (into an empty table)", f"{push:.2f} s ({rows / push:,.0f} rows/s)", "")
    record("psql COPY FROM of the same file (same-shaped table)", f"{copy:.2f} s, push = {copy / push:.2f}× COPY",
           "≥ 0.5× COPY")
    record(f"push of the same {size} again (every row an update)", f"{update:.2f} s ({rows / update:,.0f} rows/s)", "")
    record("import_feed of the same file (a process of its own)", f"{imported:.2f} s, push = {imported / push:.2f}× import_feed",
           "")
    return {"push": push, "copy": copy, "update": update, "import_feed": imported}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int, nargs="?", default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, interleaved; medians reported")
    args = parser.parse_args()
    print(f"{args.count} rows, median of {args.repeat}", flush=True)
    push_vs_copy(args.count, args.repeat)


if __name__ == "__main__":
    main()
