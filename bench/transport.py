"""Transport figures: streamed (HTTP/1.1) and spooled (HTTP/1.0) answers, straight to
gunicorn and through the shipped nginx, on a private PostgreSQL cluster.

    .venv/bin/python bench/transport.py                      # 1M transactions, 5 runs each
    .venv/bin/python bench/transport.py --rows 300000 --runs 3
    .venv/bin/python bench/transport.py --tree /tmp/base     # the same, served from another checkout
    .venv/bin/python bench/transport.py --against /tmp/base  # HTTP/1.1 A/B, requests interleaved

Prints, per transport: median total time, time to first byte (for a spooled HTTP/1.0
answer: the time to spool the window), bytes, and the gunicorn
worker's peak RSS (VmHWM) at the end. ``--tree`` serves the service from another source
tree with this checkout's venv (e.g. ``git archive <commit> | tar -x -C /tmp/base``), to
compare the HTTP/1.1 streaming speed before and after a change on the same data.
``--against`` is the fairer comparison on a busy machine: both trees are served at once
on the same data, and their HTTP/1.1 requests alternate.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from tests.support import nginx  # noqa: E402
from tests.support.pgcluster import PostgresCluster  # noqa: E402
from tests.support.servers import Gunicorn, service_env  # noqa: E402

QUERY = "/api/transactions?from=2020-10-10+00:00:00&to=2020-10-11+00:00:00"


def curl(port: int, key: str, *options: str) -> tuple[float, float, int]:
    out = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-H", f"X-Api-Key: {key}", "-w", "%{time_starttransfer} %{time_total} %{size_download} %{http_code}",
         *options, f"http://127.0.0.1:{port}{QUERY}"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    assert out[3] == "200", out
    return float(out[0]), float(out[1]), int(out[2])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", type=Path, default=HERE, help="source tree to serve from (default: this one)")
    parser.add_argument("--against", type=Path, help="another source tree: HTTP/1.1 A/B, requests interleaved")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="intarget-bench-transport-"))
    cluster = PostgresCluster.create()
    cluster.start()
    servers: list = []
    try:
        url = cluster.create_database("intarget")
        env = service_env(folder, url, WEB_CONCURRENCY="1", DEBUG="False", SECRET_KEY="bench-" + "x" * 50,
                          SECURE_SSL_REDIRECT="False", ALLOWED_HOSTS="localhost,127.0.0.1")
        run = [sys.executable, "manage.py"]
        subprocess.run([*run, "migrate", "-v0"], cwd=args.tree, env=env, check=True)
        key = subprocess.run([*run, "create_api_key", "bench"], cwd=args.tree, env=env, check=True,
                             capture_output=True, text=True).stdout.splitlines()[-1]
        with cluster.connect("intarget") as db:
            db.execute("SET intarget.preserve_timestamps = 'on'")
            db.execute(
                "INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at) "
                "SELECT 't' || lpad(n::text, 8, '0'), 'p1', 12.5, 'EUR', 'IN', '2020-10-10 00:00:00+00', "
                "'2020-10-10 00:00:00+00'::timestamptz + n * (interval '86399 seconds' / %s) "
                "FROM generate_series(0, %s - 1) AS n",
                (args.rows, args.rows),
            )
            db.execute("ANALYZE payments_transaction")
        gunicorn = Gunicorn(env, folder / "gunicorn.log", cwd=args.tree)
        servers.append(gunicorn)
        proxy = nginx.Nginx(folder / "nginx", gunicorn.port, shipped=True)
        servers.append(proxy)
        transports = {
            "gunicorn, HTTP/1.1": (gunicorn.port, ()),
            "gunicorn, HTTP/1.0": (gunicorn.port, ("--http1.0",)),
            "shipped nginx, HTTP/1.1": (proxy.port, ()),
            "shipped nginx, HTTP/1.0": (proxy.port, ("--http1.0",)),
        }
        if args.against:
            other = Gunicorn(env, folder / "other.log", cwd=args.against)
            servers.append(other)
            pairs = [(curl(gunicorn.port, key)[1], curl(other.port, key)[1]) for _ in range(args.runs)]
            ours, theirs = (statistics.median(times) for times in zip(*pairs))
            print(f"{args.rows} transactions, CSV, gunicorn HTTP/1.1, median of {args.runs} interleaved: "
                  f"{args.tree} {ours:.2f} s, {args.against} {theirs:.2f} s ({ours / theirs:.2f}x)")
            return
        print(f"{args.rows} transactions, CSV, median of {args.runs}; served from {args.tree}")
        for name, (port, options) in transports.items():
            results = [curl(port, key, *options) for _ in range(args.runs)]
            first = statistics.median(r[0] for r in results)
            total = statistics.median(r[1] for r in results)
            size = results[0][2]
            print(f"{name:38} total {total:6.2f} s  first byte {first:6.2f} s  {size / 1e6:7.1f} MB  "
                  f"{size / 1e6 / total:6.0f} MB/s")
        for pid in gunicorn.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            peak = next(line for line in status.splitlines() if line.startswith("VmHWM"))
            print(f"gunicorn worker peak RSS: {peak.split(':')[1].strip()}")
    finally:
        for server in reversed(servers):
            server.stop()
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
