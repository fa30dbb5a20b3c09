"""Benchmark: ``import_feed`` of the same transactions as CSV and as JSON.

    .venv/bin/python bench/imports.py 200000            # SQLite, in a temporary folder
    .venv/bin/python bench/imports.py 200000 --pg       # PostgreSQL at 127.0.0.1:5432 (database intarget_bench_imports)
    .venv/bin/python bench/imports.py 40000 --formats json-minified --repeat 3

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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.getenv("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
PG_DB = "intarget_bench_imports"
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int, nargs="?", default=200_000)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--formats", default="csv,json,json-minified")
    parser.add_argument("--repeat", type=int, default=1, help="import each file this many times, interleaved; report the median")
    args = parser.parse_args()
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
