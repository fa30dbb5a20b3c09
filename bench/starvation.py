"""Waiting never starves, timed: while one writer holds players_player open for 20 s and 50
clients pull ``users`` for a window it holds, how fast does ``sport-events`` answer?

    .venv/bin/python bench/starvation.py        # PostgreSQL at 127.0.0.1:5432, user postgres
    STARVATION_EAGER=1 .venv/bin/python bench/starvation.py   # pullers that ignore Retry-After

The scenario is tests/serving/test_waiting_starvation.py's (a real gunicorn with the shipped
gunicorn.conf.py); there it asserts what cannot fail by chance (statuses, and that only the
held feed ever waited), here its latencies are measured against the target: p99 of the
unrelated feed under 200 ms on PostgreSQL. Written into bench/README.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import machine, write_table  # noqa: E402

PG = os.getenv("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
P99_TARGET = 0.200


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "starvation.jsonl"
        env = {**os.environ, "STARVATION_REPORT": str(report), "DATABASE_URL": f"{PG}/intarget_bench_starvation"}
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "slow",
             "tests/serving/test_waiting_starvation.py"],
            cwd=ROOT, env=env, check=True,
        )
        runs = [json.loads(line) for line in report.read_text().splitlines()]
    postgresql, sqlite = runs  # the test module's order: PostgreSQL, then SQLite
    pullers = "eager" if postgresql["eager"] else "polite"
    rows = [
        (
            f"PostgreSQL, writer held {postgresql['hold']:.0f} s, 50 {pullers} pullers: sport-events p99",
            f"{postgresql['p99'] * 1000:.1f} ms (p50 {postgresql['p50'] * 1000:.1f}, max {postgresql['max'] * 1000:.1f}; "
            f"{postgresql['requests']} requests {postgresql['statuses']}; pullers {postgresql['pulled']})",
            f"< {P99_TARGET * 1000:.0f} ms",
        ),
        (
            f"SQLite, write lock held {sqlite['hold']:.0f} s: every feed 503, slowest answer",
            f"{sqlite['max']:.2f} s (p50 {sqlite['p50'] * 1000:.0f} ms; {sqlite['requests']} requests)",
            "< FINALITY_MAX_WAIT (10 s) + 1.5 s",
        ),
    ]
    write_table("starvation", f"Starvation, run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}.", rows)


if __name__ == "__main__":
    main()
