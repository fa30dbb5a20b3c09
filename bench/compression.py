"""Benchmark: compressed answers (operations.md section 12) against plain ones and psql's COPY.

    .venv/bin/python bench/compression.py            # 1M transactions, 5 rounds
    .venv/bin/python bench/compression.py --rounds 3 --keep   # then --reuse skips the seeding
    BENCH_QUICK=1 .venv/bin/python bench/compression.py   # a tenth of the data

It creates ``intarget_bench`` (dropped first) with bench/run.py's seeding, 1M transactions
(``--reuse`` serves the one an earlier ``--keep`` run left), serves it with
bench/run.py's gunicorn (shipped ``gunicorn.conf.py``, one worker) and times the same CSV
window four ways per round, interleaved, so that a busy machine slows each alike:
``psql`` COPY of the service's own query, the plain answer, ``Accept-Encoding: gzip`` and
``Accept-Encoding: zstd``. Medians of the rounds, sizes on the wire, then the cost of
compressing the plain body once in this process (one core) with the stdlib's zlib, igzip
and zstd at level 1: why igzip. Writes its table into bench/README.md
(``<!-- compression:start -->``).

From bench/run.py, with its server up and the 1M rows loaded: ``compression.measure(server, rows)``.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import statistics
import sys
import time
import zlib
from pathlib import Path

import zstandard
from isal import isal_zlib

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  bench/run.py: seeding, the server, psql, the table

CHUNK = 64 * 1024


def timed_get(server: run.Server, path: str, accept_encoding: str | None) -> tuple[float, bytes, str | None]:
    """(seconds to the last byte, body as sent, its Content-Encoding) on a new connection."""
    headers = {"Authorization": f"Bearer {server.key}"}
    if accept_encoding:
        headers["Accept-Encoding"] = accept_encoding
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        parts = []
        while chunk := response.read(1 << 20):
            parts.append(chunk)
        elapsed = time.perf_counter() - started
        assert response.status == 200, (response.status, path)
        return elapsed, b"".join(parts), response.getheader("Content-Encoding")
    finally:
        conn.close()


def one_core(name: str, body: bytes) -> float:
    """Seconds to compress ``body`` in 64 KiB chunks, as the service does, on this core."""
    if name == "zstd":
        compressor = zstandard.ZstdCompressor(level=1, write_checksum=True).compressobj()
    elif name == "igzip":
        compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, 31)
    else:
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    started = time.perf_counter()
    for n in range(0, len(body), CHUNK):
        compressor.compress(body[n:n + CHUNK])
    compressor.flush()
    return time.perf_counter() - started


def measure(server: run.Server, rows: int, rounds: int = 5) -> dict[str, float]:
    """Time one CSV window of ``rows`` transactions (loaded as bench/run.py does) plain,
    gzip and zstd, with psql's COPY of the same rows, interleaved; record the medians."""
    start, end = run.at(0), run.at(rows / run.PER_MINUTE)
    path = run.window_path("transactions", start, end)
    copy_sql = run.service_query_sql("transactions", start, end, "csv")
    times: dict[str, list[float]] = {"copy": [], "plain": [], "gzip": [], "zstd": []}
    bodies: dict[str, bytes] = {}
    for round_ in range(rounds):
        run.log(f"round {round_ + 1} of {rounds}")
        times["copy"].append(run.psql(f"SET enable_sort = off; SET jit = off; COPY ({copy_sql}) TO STDOUT (FORMAT csv)"))
        for name, accept in (("plain", None), ("gzip", "gzip"), ("zstd", "zstd")):
            elapsed, body, coding = timed_get(server, path, accept)
            assert coding == (None if name == "plain" else name), (name, coding)
            times[name].append(elapsed)
            bodies[name] = body
    plain = bodies["plain"]
    assert gzip.decompress(bodies["gzip"]) == plain
    assert zstandard.ZstdDecompressor().stream_reader(bodies["zstd"]).read() == plain
    median = {name: statistics.median(values) for name, values in times.items()}
    label = f"{rows // 1000}k transactions CSV"
    run.record(f"{label}: psql COPY of the same query", f"{median['copy']:.2f} s")
    run.record(f"{label}: plain", f"{median['plain']:.2f} s, {len(plain) / 1e6:.1f} MB")
    for name, target in (("gzip", "≤ 1.3× plain, ≥ 4× smaller"), ("zstd", "")):
        # Also the median of each round's own ratio: the two requests of a round ran back to
        # back, so a busy moment slows both.
        paired = statistics.median(mine / theirs for mine, theirs in zip(times[name], times["plain"]))
        median[f"{name} ÷ plain"] = paired
        run.record(
            f"{label}: Accept-Encoding {name}",
            f"{median[name]:.2f} s = {median[name] / median['plain']:.2f}× plain (per round: median {paired:.2f}×); "
            f"{len(bodies[name]) / 1e6:.1f} MB, {len(plain) / len(bodies[name]):.1f}× smaller",
            target,
        )
    for name in ("zlib", "igzip", "zstd"):
        seconds = min(one_core(name, plain) for _ in range(2))
        run.record(f"compressing that plain body in one process (level 1, one core): {name}",
                   f"{seconds:.2f} s ({len(plain) / seconds / 1e6:.0f} MB/s)")
    run.log("all rounds, s: " + "; ".join(f"{k} {', '.join(f'{v:.2f}' for v in vs)}" for k, vs in times.items()))
    return median


def write_readme(rounds: int) -> None:
    quick = " (BENCH_QUICK: a tenth of the data)" if run.QUICK else ""
    heading = (f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}{quick} on {run.machine()}; "
               f"median of {rounds} interleaved rounds.")
    run.write_table("compression", heading, run.results)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="serve the intarget_bench database as it is")
    parser.add_argument("--keep", action="store_true", help="leave intarget_bench in place afterwards")
    args = parser.parse_args()
    rows = 1_000_000 // run.SCALE
    if not args.reuse:
        run.log(f"creating the database and {rows // 1000}k transactions")
        run.setup_database()
        run.generate_transactions(0, rows, 0)
        run.enable_triggers()
    key = run.manage("create_api_key", f"bench-compression-{time.time_ns()}", capture=True).stdout.splitlines()[-1]
    server = run.Server(run.DATABASE_URL, key)
    try:
        measure(server, rows, args.rounds)
    finally:
        server.stop()
    write_readme(args.rounds)
    if not args.keep:
        run.psql(f"DROP DATABASE IF EXISTS {run.DB}", db="postgres")


if __name__ == "__main__":
    main()
