"""Benchmark: how soon a feed going late, or recovering, reaches the webhook (issue 20).

    .venv/bin/python bench/alerts.py                       # SQLite, in a temporary DATA_DIR
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/alerts_bench .venv/bin/python bench/alerts.py

The whole path, each part a real process: gunicorn serves /api/users to a key named
InTarget, which is expected to pull every 2 s with 1 s of grace (``expect_pulls``);
``send_alerts`` runs beside it with ALERT_INTERVAL=1 and posts to a webhook receiver in
this process. Each round pulls one window over HTTP, waits for ``pull.recovered`` (when
the feed was late), then pulls no more and waits for ``pull.late``. Measured:

- late: from the moment the feed *became* late (the pull's end in the pull log,
  ``started_at + duration_ms``, plus every + grace) to the POST's arrival;
- recovered: from the pull's end to the POST's arrival.

Both are bounded by ALERT_INTERVAL plus one check and one POST.

With ``--pull-log`` instead (PostgreSQL): what one check and one /metrics scrape cost
over a full pull log, bench/console.py's (90 days of per-minute pulls of two feeds,
259,198 entries, made once in that database; ``BENCH_FEEDS=10``: of ten), with every
feed of the key expected (``deletions`` too, never pulled).
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intarget_export.settings")
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="alerts-bench-"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from access.services import api_key_issue  # noqa: E402
from alerts.models import Expectation, Notification  # noqa: E402
from operations.models import Pull  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
EVERY, GRACE = 2, 1
WAIT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    def __init__(self) -> None:
        self.arrivals: list[tuple[float, dict]] = []
        self.taken = 0
        self.arrived = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                arrival = time.time()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.arrived:
                    receiver.arrivals.append((arrival, json.loads(body)))
                    receiver.arrived.notify_all()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, type: str) -> float:
        """The arrival time of the next POST of ``type`` not yet taken (earlier ones of
        other types are passed over)."""
        with self.arrived:
            deadline = time.monotonic() + WAIT
            while True:
                for n in range(self.taken, len(self.arrivals)):
                    arrival, body = self.arrivals[n]
                    if body["type"] == type:
                        self.taken = n + 1
                        return arrival
                if not self.arrived.wait(deadline - time.monotonic()):
                    raise RuntimeError(f"no {type} within {WAIT} s")


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("gunicorn did not start")


def last_end() -> float:
    """The end of the latest pull in the pull log, as the contract computes it."""
    pull = Pull.objects.filter(key_name="InTarget", feed="users").order_by("-started_at").first()
    return (pull.started_at + dt.timedelta(milliseconds=pull.duration_ms)).timestamp()


def pull(port: int, secret: str) -> None:
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(seconds=2)
    query = f"from={(start - dt.timedelta(seconds=60)):%Y-%m-%d+%H:%M:%S}&to={start:%Y-%m-%d+%H:%M:%S}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/users?{query}",
                                     headers={"Authorization": f"Bearer {secret}"})
    with urllib.request.urlopen(request, timeout=WAIT) as answer:
        answer.read()
    count = Pull.objects.count()
    deadline = time.monotonic() + WAIT
    while Pull.objects.count() == count and time.monotonic() < deadline:  # recorded once sent
        time.sleep(0.01)


def main() -> None:
    call_command("migrate", verbosity=0)
    Expectation.objects.all().delete()
    Notification.objects.all().delete()
    Pull.objects.filter(key_name="InTarget").delete()
    _, secret = api_key_issue(name="InTarget", feeds=["users"])
    receiver = Receiver()
    env = {**os.environ, "ALERT_INTERVAL": "1", "ALERT_WEBHOOK_URL": receiver.url}
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "intarget_export.wsgi:application"],
        cwd=ROOT, env={**env, "BIND": f"127.0.0.1:{port}"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    sender = None
    try:
        wait_for_port(port)
        call_command("expect_pulls", "InTarget", "--every", f"{EVERY}s", "--grace", f"{GRACE}s", "--feeds", "users")
        sender = subprocess.Popen([sys.executable, "manage.py", "send_alerts"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL)
        receiver.next("pull.late")  # set 3 s ago and never pulled
        late, recovered = [], []
        for _ in range(ROUNDS):
            pull(port, secret)
            recovered.append(receiver.next("pull.recovered") - last_end())
            arrival = receiver.next("pull.late")
            late.append(arrival - (last_end() + EVERY + GRACE))
        database = django.db.connection.vendor
        for name, values in (("late -> webhook", late), ("pull end -> pull.recovered webhook", recovered)):
            print(f"{database}, ALERT_INTERVAL=1, {ROUNDS} rounds: {name}: median {statistics.median(values):.2f} s, "
                  f"min {min(values):.2f} s, max {max(values):.2f} s")
    finally:
        if sender is not None:
            sender.send_signal(signal.SIGTERM)
            print(f"send_alerts exited {sender.wait(WAIT)} on SIGTERM")
        os.killpg(web.pid, signal.SIGKILL)
        web.wait()


def pull_log_cost() -> None:
    from access.models import ApiKey
    from alerts.services import expectations_check
    from bench.console import FEEDS, pull_log
    from operations.metrics import exposition

    pull_log()
    if not ApiKey.objects.active().filter(name="InTarget").exists():
        api_key_issue(name="InTarget", feeds=list(FEEDS))
    Expectation.objects.all().delete()
    call_command("expect_pulls", "InTarget", "--every", "1m", "--grace", "5m")
    print(f"{Pull.objects.count():,} pulls, {Expectation.objects.count()} expectations, {django.db.connection.vendor}")
    for name, work in (("check (expectations_check)", expectations_check),
                       ("scrape (the /metrics exposition)", exposition)):
        seconds = []
        for _ in range(5):
            start = time.perf_counter()
            work()
            seconds.append(time.perf_counter() - start)
        print(f"{name}: median {statistics.median(seconds) * 1000:.0f} ms of 5 "
              f"({min(seconds) * 1000:.0f}–{max(seconds) * 1000:.0f})")


if __name__ == "__main__":
    pull_log_cost() if "--pull-log" in sys.argv else main()
