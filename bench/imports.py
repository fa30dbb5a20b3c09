"""Benchmark: ``import_feed`` of the same transactions as CSV and as JSON.

    .venv/bin/python bench/imports.py 200000            # SQLite, in a temporary folder
    .venv/bin/python bench/imports.py 200000 --pg       # PostgreSQL at 127.0.0.1:5432 (database intarget_bench_imports)
    .venv/bin/python bench/imports.py 40000 --formats json-minified --repeat 3
    .venv/bin/python bench/imports.py 1000000 --against-copy --repeat 3   # PostgreSQL's COPY, then SQLite
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/mine .venv/bin/python bench/imports.py 200000 --pg  # database "mine"

``--against-copy`` measures, in one run and interleaved, ``import_feed`` of a transactions
CSV into PostgreSQL against psql's ``\\copy … FROM`` of the same file into the same table
(both keeping the file's timestamps, so the stamping trigger does the same work), then
``import_feed`` of the file into SQLite; ``compare_with_copy`` and ``sqlite_import`` are
what bench/run.py calls.

Each import runs as its own ``manage.py import_feed`` process under ``/usr/bin/time -v``
on a freshly migrated database, so the figures include start-up; it prints seconds,
rows per second and the process's peak RSS. Formats: ``csv``, ``json`` (one object per
line, as the JSON feed is written) and ``json-minified`` (the whole array on one line).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# DATABASE_URL, when it names a PostgreSQL database, says which one to use (and drop and
# create again): each worktree can measure on its own, not on a database another uses.
_URL = os.getenv("DATABASE_URL", "")
if _URL.startswith("postgresql://") and "/" in _URL.removeprefix("postgresql://"):
    PG, PG_DB = _URL.rsplit("/", 1)
else:
    PG, PG_DB = os.getenv("BENCH_PG", "postgresql://postgres@127.0.0.1:5432"), "intarget_bench_imports"
COLUMNS = ["id", "player_id", "amount", "currency", "type", "status", "payment_system", "dir", "created_at",
           "updated_at", "invoice_id", "wallet_id", "user_agent", "ip", "requisite", "comment"]


def rows(count: int):
    for n in range(count):
        minute, second = divmod(n // 10, 60)
        yield {
            "id": f"t{n}", "player_id": f"p{n % 5000}", "amount": f"{n % 1000}.{n % 100:02d}", "currency": "EUR",
            "type": "Normal", "status": "Success", "payment_system": "visa", "dir": "IN" if n % 3 else "OUT",
            "created_at": f"2020-10-{1 + minute // 1440:02d} {minute // 60 % 24:02d}:{minute % 60:02d}:{second:02d}",
            "updated_at": "2020-10-10 07:05:00", "invoice_id": f"inv-{n}", "wallet_id": f"w{n % 77}",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "ip": f"10.0.{n % 256}.{n % 200}",
            "requisite": "4111 **** **** 1111", "comment": "deposit, \"quoted\"" if n % 10 == 0 else "",
        }


def write_files(folder: Path, count: int, formats: list[str]) -> dict[str, Path]:
    paths = {}
    if "csv" in formats:
        path = paths["csv"] = folder / "transactions.csv"
        with path.open("w", newline="") as file:
            import csv

            writer = csv.writer(file, lineterminator="\n")
            writer.writerow(COLUMNS)
            for row in rows(count):
                writer.writerow([row[c] for c in COLUMNS])

    def as_json(row):
        # Amounts as JSON numbers, absent values as null, as the JSON feed writes them.
        return "{" + ",".join(
            f"{json.dumps(k)}:{v if k == 'amount' else (json.dumps(v) if v else 'null')}" for k, v in row.items()
        ) + "}"

    if "json" in formats:
        path = paths["json"] = folder / "transactions.json"
        with path.open("w") as file:
            file.write("[\n" + ",\n".join(as_json(row) for row in rows(count)) + "\n]\n")
    if "json-minified" in formats:
        path = paths["json-minified"] = folder / "transactions.min.json"
        with path.open("w") as file:
            file.write("[" + ",".join(as_json(row) for row in rows(count)) + "]")
    return paths


def fresh_database(env: dict[str, str], pg: bool) -> None:
    if pg:
        for sql in (f"DROP DATABASE IF EXISTS {PG_DB}", f"CREATE DATABASE {PG_DB}"):
            subprocess.run(["psql", "-X", "-q", f"{PG}/postgres", "-c", sql], check=True)
    else:
        (Path(env["DATA_DIR"]) / "db.sqlite3").unlink(missing_ok=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def timed_import(env: dict[str, str], path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "manage.py", "import_feed", "transactions", str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"import of {path} failed:\n{done.stdout}\n{done.stderr}")
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return seconds, rss_kib


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock seconds of ``command``, and the CPU seconds (user + system) it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _seconds(command: list[str], env: dict[str, str]) -> float:
    return _timed(command, env)[0]


def compare_with_copy(path: Path, database_url: str, repeat: int = 3) -> tuple[list[float], list[float]]:
    """Seconds of ``import_feed transactions path --preserve-timestamps`` and of psql's
    ``\\copy`` of the same file into the same table, each on an emptied table, interleaved."""
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "False", "SECRET_KEY": "bench-only", "ALLOWED_HOSTS": "*"}
    # The trigger keeps the file's stamps for COPY as it does for the import.
    copy_env = {**env, "PGOPTIONS": "-c intarget.preserve_timestamps=on"}
    header = path.open().readline().strip()
    truncate = ["psql", "-X", "-q", database_url, "-c", "TRUNCATE payments_transaction"]
    imports, copies = [], []
    for _ in range(repeat):
        subprocess.run(truncate, check=True)
        copies.append(_seconds(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", database_url, "-c",
                                f"\\copy payments_transaction ({header}) FROM '{path}' (FORMAT csv, HEADER)"], copy_env))
        subprocess.run(truncate, check=True)
        imports.append(_seconds([sys.executable, "manage.py", "import_feed", "transactions", str(path),
                                 "--preserve-timestamps", "-v0"], env))
    return imports, copies


STREAM_IMPORT = """
import sys
import django
django.setup()
from feeds.registry import registry
from loading.importing import import_stream
import_stream(registry()["transactions"], sys.stdin.buffer, "csv", preserve=True)
"""


def stream_vs_copy(path: Path, database_url: str, repeat: int = 3) -> tuple[list[float], list[float]]:
    """As compare_with_copy, but ``import_stream`` reading the file from a pipe (a request
    body cannot seek either): what ``POST /api/<feed>`` builds on, without the HTTP."""
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "False", "SECRET_KEY": "bench-only",
           "ALLOWED_HOSTS": "*", "DJANGO_SETTINGS_MODULE": "intarget_export.settings"}
    copy_env = {**env, "PGOPTIONS": "-c intarget.preserve_timestamps=on"}
    header = path.open().readline().strip()
    truncate = ["psql", "-X", "-q", database_url, "-c", "TRUNCATE payments_transaction"]
    streams, copies = [], []
    for _ in range(repeat):
        subprocess.run(truncate, check=True)
        copies.append(_seconds(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", database_url, "-c",
                                f"\\copy payments_transaction ({header}) FROM '{path}' (FORMAT csv, HEADER)"], copy_env))
        subprocess.run(truncate, check=True)
        started = time.perf_counter()
        with subprocess.Popen(["cat", str(path)], stdout=subprocess.PIPE) as cat:
            subprocess.run([sys.executable, "-c", STREAM_IMPORT], stdin=cat.stdout, cwd=ROOT, env=env, check=True)
        streams.append(time.perf_counter() - started)
    return streams, copies


def sqlite_import(path: Path, repeat: int = 3) -> list[tuple[float, float]]:
    """Seconds of ``import_feed`` of ``path`` into a freshly migrated SQLite database, each
    time, and its CPU seconds (SQLite works in the process: on a shared machine the CPU
    time says what the import costs, the wall clock what the machine could give it)."""
    times = []
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATA_DIR": folder, "DEBUG": "False", "SECRET_KEY": "bench-only", "ALLOWED_HOSTS": "*"}
        env.pop("DATABASE_URL", None)
        for _ in range(repeat):
            fresh_database(env, pg=False)
            times.append(_timed([sys.executable, "manage.py", "import_feed", "transactions", str(path), "-v0"], env))
    return times


def against_copy(count: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_files(Path(folder), count, ["csv"])["csv"]
        env = {**os.environ, "DATABASE_URL": f"{PG}/{PG_DB}", "DEBUG": "False", "SECRET_KEY": "bench-only", "ALLOWED_HOSTS": "*"}
        fresh_database(env, pg=True)
        imports, copies = compare_with_copy(path, env["DATABASE_URL"], repeat)
        body = Path(folder) / "body.csv"  # the first 100k rows, as a pushed body
        with path.open("rb") as source, body.open("wb") as target:
            for _, line in zip(range(100_001), source):
                target.write(line)
        streams, body_copies = stream_vs_copy(body, env["DATABASE_URL"], repeat)
        subprocess.run(["psql", "-X", "-q", f"{PG}/postgres", "-c", f"DROP DATABASE IF EXISTS {PG_DB}"], check=True)
        streamed, body_copied = statistics.median(streams), statistics.median(body_copies)
        print(f"PostgreSQL 100000-row body from a pipe: import_stream {streamed:.2f} s, \\copy {body_copied:.2f} s; "
              f"import_stream = {body_copied / streamed:.2f}× COPY (median of {repeat}; "
              f"each: {', '.join(f'{c / i:.2f}' for i, c in zip(streams, body_copies))})", flush=True)
        imported, copied = statistics.median(imports), statistics.median(copies)
        print(f"PostgreSQL {count} rows: import_feed {imported:.1f} s ({count / imported:,.0f} rows/s), "
              f"\\copy {copied:.1f} s; import_feed = {copied / imported:.2f}× COPY (median of {repeat}; "
              f"each: {', '.join(f'{c / i:.2f}' for i, c in zip(imports, copies))})", flush=True)
        runs = sqlite_import(path, repeat)
        seconds, cpu = statistics.median(s for s, _ in runs), statistics.median(c for _, c in runs)
        print(f"SQLite {count} rows: import_feed {seconds:.1f} s, {count / seconds:,.0f} rows/s; "
              f"{cpu:.1f} CPU s, {count / cpu:,.0f} rows per CPU second (medians of {repeat})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int, nargs="?", default=200_000)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--formats", default="csv,json,json-minified")
    parser.add_argument("--repeat", type=int, default=1, help="import each file this many times, interleaved; report the median")
    parser.add_argument("--against-copy", action="store_true", help="PostgreSQL's COPY against import_feed, then SQLite")
    args = parser.parse_args()
    if args.against_copy:
        against_copy(args.count, args.repeat)
        return
    formats = args.formats.split(",")
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATA_DIR": folder, "DEBUG": "False", "SECRET_KEY": "bench-only", "ALLOWED_HOSTS": "*"}
        if args.pg:
            env["DATABASE_URL"] = f"{PG}/{PG_DB}"
        else:
            env.pop("DATABASE_URL", None)
        paths = write_files(Path(folder), args.count, formats)
        database = "PostgreSQL" if args.pg else "SQLite"
        runs: dict[str, list[tuple[float, int]]] = {name: [] for name in formats}
        for _ in range(args.repeat):
            for name in formats:
                fresh_database(env, args.pg)
                runs[name].append(timed_import(env, paths[name]))
        for name in formats:
            seconds = statistics.median(s for s, _ in runs[name])
            rss = max(r for _, r in runs[name])
            size = paths[name].stat().st_size / 2**20
            print(f"{database} {name:13} {args.count} rows, {size:.0f} MiB: {seconds:.1f} s (median of {args.repeat}), "
                  f"{args.count / seconds:,.0f} rows/s, peak RSS {rss / 1024:.0f} MiB", flush=True)
        if args.pg:
            subprocess.run(["psql", "-X", "-q", f"{PG}/postgres", "-c", f"DROP DATABASE IF EXISTS {PG_DB}"], check=True)


if __name__ == "__main__":
    main()
