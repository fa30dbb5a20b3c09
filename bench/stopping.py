"""How long the server takes to stop (issue 19): gunicorn with the shipped
gunicorn.conf.py, as bin/demo runs it, on a fresh DATA_DIR (SQLite); 16 requests at once
answered (connections left open, as a browser leaves them), then a signal, and the time
until the master and every worker are gone.

    .venv/bin/python bench/stopping.py                        # Ctrl-C (SIGINT to the group), 3 tries
    .venv/bin/python bench/stopping.py --signal term-master --tries 5
    .venv/bin/python bench/stopping.py --tree /tmp/base       # served from another checkout

``--tree`` serves another source tree with this checkout's venv (e.g. ``git archive
<commit> | tar -x -C /tmp/base``), to time the stop before and after a change. A try that
hangs ends at GUNICORN_GRACEFUL_TIMEOUT (300 s unless set), when the master SIGKILLs its
workers; the log's "was sent SIGKILL" lines are counted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from tests.support.servers import Gunicorn, answer_as_a_browser, migrate, new_key, service_env  # noqa: E402

SIGNALS = {
    "int-group": (signal.SIGINT, True),
    "term-master": (signal.SIGTERM, False),
    "term-group": (signal.SIGTERM, True),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signal", choices=SIGNALS, default="int-group")
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--tree", type=Path, default=HERE, help="the source tree to serve")
    args = parser.parse_args()
    signum, group = SIGNALS[args.signal]
    with tempfile.TemporaryDirectory(prefix="bench-stopping-") as folder:
        env = service_env(Path(folder) / "data", API_MAX_STREAMS="16")  # 16 answers of one key at once
        migrate(env)
        key = new_key(env)
        for n in range(args.tries):
            log = Path(folder) / f"gunicorn-{n}.log"
            with Gunicorn(env, log, cwd=args.tree) as server:
                connections = answer_as_a_browser(server.port, key)
                started = time.monotonic()
                server.signal(signum, group=group)
                server.wait_stopped(3600)
                took = time.monotonic() - started
                for conn in connections:
                    conn.close()
            killed = log.read_text(errors="replace").count("was sent SIGKILL")
            print(f"{args.signal} try {n + 1}: stopped in {took:.2f} s, {killed} worker(s) SIGKILLed", flush=True)


if __name__ == "__main__":
    main()
