"""Benchmark: the service against PostgreSQL's own COPY, in one run.

    .venv/bin/python bench/run.py            # PostgreSQL at 127.0.0.1:5432, user postgres
    BENCH_QUICK=1 .venv/bin/python bench/run.py   # a tenth of the data, for a smoke run
    .venv/bin/python bench/run.py minute     # only the one-minute window on the 1M-row table, printed
    BENCH_DB=intarget_bench_mine …            # another database than intarget_bench

It creates the database ``intarget_bench`` (dropped first), generates the data by SQL,
serves it with gunicorn through the shipped ``gunicorn.conf.py`` (one worker), measures,
prints a table and writes it into ``bench/README.md``.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import platform
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.getenv("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = os.getenv("BENCH_DB", "intarget_bench")
DATABASE_URL = f"{PG}/{DB}"
QUICK = os.getenv("BENCH_QUICK") == "1"
SCALE = 10 if QUICK else 1
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
PER_MINUTE = 1000  # transactions per minute: a one-minute window is ~1k rows
PYTHON = sys.executable
results: list[tuple[str, str, str]] = []


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def record(what: str, value: str, target: str = "") -> None:
    log(f"{what}: {value}")
    results.append((what, value, target))


def psql(sql: str, db: str = DB, out: str | None = None) -> float:
    """Run ``sql`` with psql; return seconds."""
    started = time.perf_counter()
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"{PG}/{db}", "-c", sql],
        check=True, stdout=open(out or os.devnull, "wb"),
    )
    return time.perf_counter() - started


def manage(*args: str, env: dict | None = None, capture: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, check=True, text=True, capture_output=capture,
        env={**os.environ, "DATABASE_URL": DATABASE_URL, **(env or {})},
    )


def at(minutes: float) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")


# --- data ------------------------------------------------------------------------------


def generate_transactions(first: int, count: int, start_minute: float) -> None:
    """``count`` transactions, ids from ``first``, PER_MINUTE a minute from start_minute."""
    psql(f"""
        INSERT INTO payments_transaction (id, player_id, amount, currency, type, status, payment_system, dir,
            created_at, updated_at, invoice_id, wallet_id, user_agent, ip, requisite, comment)
        SELECT 'tx-' || g, 'player-' || (g % 100000), round((random() * 5000)::numeric, 2),
            (ARRAY['EUR','USD','BTC'])[1 + g % 3], 'Normal', (ARRAY['Success','Fail','New'])[1 + g % 3],
            'visa', (ARRAY['IN','OUT'])[1 + g % 2],
            ts - interval '1 minute', ts, 'inv-' || g, NULL, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
            '10.0.' || (g % 250) || '.' || (g % 200), '4111 **** **** ' || lpad((g % 10000)::text, 4, '0'),
            CASE WHEN g % 50 = 0 THEN 'manual, "checked"' END
        FROM (SELECT g, timestamptz '{at(start_minute)}+00' + (g - {first}) * interval '{60 / PER_MINUTE} seconds' AS ts
              FROM generate_series({first}, {first + count - 1}) g) s;
    """)


def setup_database() -> None:
    psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")
    psql(f"CREATE DATABASE {DB}", db="postgres")
    manage("migrate", "-v0")
    # Generated history keeps its stamps: the triggers step aside for this load.
    for table in ("payments_transaction", "games_gameaction"):
        psql(f"ALTER TABLE {table} DISABLE TRIGGER stamp")


def enable_triggers() -> None:
    for table in ("payments_transaction", "games_gameaction"):
        psql(f"ALTER TABLE {table} ENABLE TRIGGER stamp")
    psql("VACUUM ANALYZE")


# --- the service ---------------------------------------------------------------------


class Server:
    def __init__(self, database_url: str, key: str):
        self.port = free_port()
        self.key = key
        env = {**os.environ, "DATABASE_URL": database_url, "BIND": f"127.0.0.1:{self.port}",
               "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2", "DEBUG": "False", "SECRET_KEY": "bench" * 10,
               "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "False",
               # The bench measures speed: 300 one-minute windows in a row must not be rate limited.
               "API_RATE_LIMIT": "100000/min"}
        self.process = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null",
             "intarget_export.wsgi:application"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        self.get("/api/tournaments")  # warm up: imports, DB connection

    def worker_peak_rss_mb(self) -> float:
        pids = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        peak = 0
        for pid in pids:
            status = Path(f"/proc/{pid}/status").read_text()
            peak = max(peak, int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)))
        return peak / 1024

    def get(self, path: str) -> tuple[float, float, int]:
        """(seconds to first byte, seconds in all, bytes) of one request."""
        started = time.perf_counter()
        try:
            self.connection.request("GET", path, headers={"Authorization": f"Bearer {self.key}"})
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed the idle keep-alive connection (keepalive = 5 s): reconnect.
            self.connection.close()
            started = time.perf_counter()
            self.connection.request("GET", path, headers={"Authorization": f"Bearer {self.key}"})
            response = self.connection.getresponse()
        first = response.read(1)
        ttfb = time.perf_counter() - started
        size = len(first)
        while chunk := response.read(1 << 20):
            size += len(chunk)
        assert response.status == 200, (response.status, path)
        return ttfb, time.perf_counter() - started, size

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def window_path(feed: str, start: str, end: str, fmt: str = "csv") -> str:
    return f"/api/{feed}?from={start.replace(' ', '+')}&to={end.replace(' ', '+')}&format={fmt}"


def service_query_sql(feed: str, start: str, end: str, fmt: str, database_url: str = DATABASE_URL) -> str:
    """The exact SQL the service hands to COPY, parameters inlined, for psql to run."""
    code = f"""
import django, sys
django.setup()
from psycopg import ClientCursor
from django.db import connection
from serving import copy_stream
from feeds.columns import parse_timestamp
from feeds.registry import registry
feed = registry()["{feed}"]
cols = feed.all_columns()
qs = feed.queryset(parse_timestamp("{start}"), parse_timestamp("{end}"))
qs = qs.values_list(*copy_stream._csv_expressions(cols)) if "{fmt}" == "csv" else qs.values_list(copy_stream._json_expression(cols))
sql, params = copy_stream._sql(feed, qs, "default")
connection.ensure_connection()
sys.stdout.write(ClientCursor(connection.connection).mogrify(sql, params))
"""
    return subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, check=True, text=True, capture_output=True,
        env={**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "intarget_export.settings"},
    ).stdout


def copy_seconds(feed: str, start: str, end: str, fmt: str) -> float:
    """psql's COPY of the service's query, with the service's planner setting."""
    sql = service_query_sql(feed, start, end, fmt)
    options = "FORMAT csv" if fmt == "csv" else "FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02'"
    return min(psql(f"SET enable_sort = off; SET jit = off; COPY ({sql}) TO STDOUT ({options})") for _ in range(2))


# --- measurements ----------------------------------------------------------------------


def bulk_windows(server: Server, rows: int) -> None:
    minutes = rows / PER_MINUTE
    start, end = at(0), at(minutes)
    for fmt, target in (("csv", 0.9), ("json", 0.6)):
        limit = copy_seconds("transactions", start, end, fmt)
        ttfb, total, size = min((server.get(window_path("transactions", start, end, fmt)) for _ in range(2)),
                                key=lambda r: r[1])
        label = f"{rows // 1000}k transactions {fmt.upper()}"
        record(f"{label}: psql COPY of the same query", f"{limit:.2f} s")
        record(f"{label}: service over HTTP", f"{total:.2f} s, {size / 1e6:.0f} MB, {limit / total:.2f}× COPY",
               f"≥ {target}× COPY" if rows >= 1_000_000 // SCALE else "")
        record(f"{label}: time to first byte", f"{ttfb * 1000:.0f} ms", "< 200 ms")
    record(f"worker peak RSS after {rows // 1000}k rows", f"{server.worker_peak_rss_mb():.0f} MB",
           "≤ 80 MB" if rows >= 1_000_000 // SCALE else "")


def minute_windows(server: Server, label: str, minutes_available: float, repeat: int = 300) -> float:
    rng = random.Random(1)
    paths = [window_path("transactions", at(m), at(m + 1)) for m in rng.sample(range(int(minutes_available) - 1), repeat)]
    for path in paths:  # InTarget pulls the latest minute, which is in the cache: warm it
        server.get(path)
    times = [server.get(path)[1] for path in paths]
    times.sort()
    median, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
    record(f"one-minute window (~{PER_MINUTE} rows), {label}", f"median {median * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms",
           "median < 25 ms")
    return median


def import_vs_copy(rows: int) -> None:
    """import_feed of the 1M-row export against psql's \\copy of it, interleaved (bench/imports.py), then SQLite."""
    from imports import compare_with_copy, sqlite_import  # bench/imports.py, next to this file

    path = Path(tempfile.mkdtemp()) / "transactions.csv"
    manage("export_feed", "transactions", "--from", at(0), "--to", at(rows / PER_MINUTE), "--output", str(path))
    imports, copies = compare_with_copy(path, DATABASE_URL, repeat=3)
    imported, copied = statistics.median(imports), statistics.median(copies)
    record(f"import_feed of {rows // 1000}k rows (median of 3)", f"{imported:.1f} s ({rows / imported:,.0f} rows/s)")
    record("\\copy FROM of the same file (median of 3, interleaved)",
           f"{copied:.1f} s, import_feed = {copied / imported:.2f}× COPY", "≥ 0.7× COPY")
    runs = sqlite_import(path, repeat=3)
    sqlite, cpu = statistics.median(s for s, _ in runs), statistics.median(c for _, c in runs)
    record(f"SQLite: import_feed of {rows // 1000}k rows (median of 3)",
           f"{sqlite:.1f} s = {rows / sqlite:,.0f} rows/s ({cpu:.1f} CPU s = {rows / cpu:,.0f} rows per CPU second)",
           "≥ 50k rows/s")
    path.unlink()


def sqlite_path(rows: int) -> None:
    data = Path(tempfile.mkdtemp())
    env = {"DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}"}
    manage("migrate", "-v0", env=env)
    key = manage("create_api_key", "bench", env=env, capture=True).stdout.splitlines()[-1]
    with sqlite3.connect(data / "db.sqlite3") as db:
        db.executemany(
            "INSERT INTO payments_transaction (id, player_id, amount, currency, type, status, dir, created_at, "
            "updated_at, user_agent, ip) VALUES (?, ?, ?, 'EUR', 'Normal', 'Success', 'IN', ?, ?, 'Mozilla/5.0', "
            "'10.0.0.1')",
            ((f"tx-{n}", f"player-{n % 100000}", f"{n % 5000}.{n % 100:02d}", at(n / PER_MINUTE - 1),
              (T0 + dt.timedelta(minutes=n / PER_MINUTE)).strftime("%Y-%m-%d %H:%M:%S.%f")) for n in range(rows)),
        )
    server = Server(env["DATABASE_URL"], key)
    try:
        small = server.get(window_path("transactions", at(0), at(rows / PER_MINUTE / 10)))[1]
        rss_small = server.worker_peak_rss_mb()
        _, total, size = server.get(window_path("transactions", at(0), at(rows / PER_MINUTE)))
        record(f"SQLite: {rows // 1000}k transactions CSV over HTTP",
               f"{total:.2f} s = {rows / total:,.0f} rows/s ({small:.2f} s for a tenth)", "≥ 50k rows/s")
        record("SQLite: worker peak RSS", f"{rss_small:.0f} MB after a tenth, {server.worker_peak_rss_mb():.0f} MB after all",
               "flat")
    finally:
        server.stop()


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 1024 / 1024
    pg = subprocess.run(["psql", "-XAtc", "SHOW server_version", f"{PG}/postgres"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} × {cpu}, {memory:.0f} GiB RAM, PostgreSQL {pg}, Python {platform.python_version()}"


def write_table(marker: str, heading: str, rows: list[tuple[str, str, str]]) -> None:
    """``rows`` as a table under ``heading``, between ``<!-- marker:start -->`` and
    ``<!-- marker:end -->`` in bench/README.md (replaced, or appended the first time); printed too."""
    table = ["| measurement | result | target |", "|---|---|---|"]
    table += [f"| {what} | {value} | {target} |" for what, value, target in rows]
    readme = ROOT / "bench" / "README.md"
    text = readme.read_text() if readme.exists() else ""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = "\n".join([start, heading, "", *table, end])
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text += "\n" + block + "\n"
    readme.write_text(text)
    print("\n".join(table))


def write_readme() -> None:
    quick = " (BENCH_QUICK: a tenth of the data)" if QUICK else ""
    write_table("results", f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}{quick} on {machine()}.", results)


def minute_only() -> None:
    """The one-minute window's median alone (issue 18, item 11), as main() measures it on
    the 1M-row table, in a minute or two; printed, bench/README.md left as it is."""
    log("creating the database and 1M transactions")
    setup_database()
    one_million = 1_000_000 // SCALE
    generate_transactions(0, one_million, 0)
    enable_triggers()
    key = manage("create_api_key", "bench", capture=True).stdout.splitlines()[-1]
    server = Server(DATABASE_URL, key)
    try:
        minute_windows(server, "1M-row table" if not QUICK else "100k-row table", one_million / PER_MINUTE)
    finally:
        server.stop()
        psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")
    for what, value, target in results:
        print(f"{what}: {value} (target {target})")


def main() -> None:
    # The measurements of bench/compression.py, games.py and push.py, in this same run. They
    # import this file as ``run``: the same module object, so their rows reach this table.
    sys.modules.setdefault("run", sys.modules[__name__])
    import compression
    import push

    import games

    log("creating the database and 1M transactions")
    setup_database()
    one_million = 1_000_000 // SCALE
    generate_transactions(0, one_million, 0)
    enable_triggers()
    key = manage("create_api_key", "bench", capture=True).stdout.splitlines()[-1]

    server = Server(DATABASE_URL, key)
    try:
        bulk_windows(server, one_million // 10)
        bulk_windows(server, one_million)
        small = minute_windows(server, "1M-row table" if not QUICK else "100k-row table", one_million / PER_MINUTE)
        log("compressed answers (bench/compression.py)")
        compression.measure(server, one_million, rounds=3)
    finally:
        server.stop()

    log("growing to 10M transactions")
    psql("ALTER TABLE payments_transaction DISABLE TRIGGER stamp")
    generate_transactions(one_million, 9 * one_million, -9 * one_million / PER_MINUTE)
    enable_triggers()
    server = Server(DATABASE_URL, key)
    try:
        large = minute_windows(server, "10M-row table" if not QUICK else "1M-row table", one_million / PER_MINUTE)
        record("one-minute window, 10M ÷ 1M table", f"{large / small:.2f}×", "≤ 1.3×")
        # The whole table in one request: gigabytes through the shipped gunicorn config.
        _, total, size = server.get(window_path("transactions", at(-9 * one_million / PER_MINUTE), at(one_million / PER_MINUTE)))
        record(f"whole {10 * one_million // 1_000_000}M-row table in one CSV request",
               f"{size / 1e9:.2f} GB in {total:.0f} s, streamed to the end; worker peak RSS {server.worker_peak_rss_mb():.0f} MB")
    finally:
        server.stop()

    log("import_feed against COPY FROM")
    import_vs_copy(one_million)
    log("push over HTTP against COPY FROM (bench/push.py)")

    push.push_vs_copy(100_000 // SCALE, repeat=3, record=record)
    log("SQLite path")
    sqlite_path(one_million)
    log("the games feed (bench/games.py, its own database)")
    games.games_bench(record)
    write_readme()
    psql(f"DROP DATABASE IF EXISTS {DB}", db="postgres")


if __name__ == "__main__":
    minute_only() if sys.argv[1:] == ["minute"] else main()
