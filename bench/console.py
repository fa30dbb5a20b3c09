"""Benchmark: the operator's console over a full pull log (90 days of per-minute pulls of
two feeds by one key, one minute skipped per feed: 259,198 entries).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/console_bench .venv/bin/python bench/console.py

The database named by DATABASE_URL must exist (it is migrated; the pulls are made once
and kept for the next run). ``BENCH_FEEDS=10`` makes the log of ten feeds (1,295,990
entries; in a database of its own), ``BENCH_DAYS`` another span. Its statistics are refreshed first (``VACUUM ANALYZE``), as
autovacuum keeps them in production: a server with autovacuum off (a test server) would
otherwise plan over a table it believes empty. Prints, for each read of the console, the
median of ``BENCH_REPEAT`` runs (default 5) and the fastest and slowest; the two pages
are read whole, through the admin, as an operator's browser reads them.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intarget_export.settings")
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="console-bench-"))

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from operations import selectors  # noqa: E402
from operations.models import Pull  # noqa: E402

ALL_FEEDS = ("users", "transactions", "contacts", "logins", "wallets", "games", "tournaments", "sport-events", "bets",
             "bet-selections")
DAYS, FEEDS = int(os.environ.get("BENCH_DAYS", "90")), ALL_FEEDS[: int(os.environ.get("BENCH_FEEDS", "2"))]
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def make_pulls() -> None:
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    pulls = [
        Pull(
            started_at=end + dt.timedelta(seconds=30), key_name="InTarget", feed=feed,
            window_from=end - dt.timedelta(minutes=1), window_to=end, format="csv", status=200,
            rows=7, bytes=900, duration_ms=5, client="203.0.113.7", complete=True,
        )
        for feed in FEEDS
        for minute in range(DAYS * 24 * 60)
        if minute != 500  # the gap
        for end in (now - dt.timedelta(minutes=minute + 5),)
    ]
    Pull.objects.bulk_create(pulls, batch_size=5000)


def pull_log() -> None:
    """The pull log, made once, with fresh statistics."""
    call_command("migrate", verbosity=0)
    if not Pull.objects.filter(key_name="InTarget").exists():
        make_pulls()
    with connection.cursor() as cursor:
        cursor.execute(f"{'VACUUM ' if connection.vendor == 'postgresql' else ''}ANALYZE {Pull._meta.db_table}")


def timed(name: str, read: Callable[[], object]) -> None:
    seconds = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        read()
        seconds.append(time.perf_counter() - started)
    print(f"{name}: median {statistics.median(seconds):.3f} s ({min(seconds):.3f}–{max(seconds):.3f}, {REPEAT} runs)")


def admin_client() -> Client:
    user, _ = get_user_model().objects.get_or_create(username="console-bench", defaults={"is_superuser": True,
                                                                                         "is_staff": True})
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def get(client: Client, url: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 200, answer.status_code


def main() -> None:
    pull_log()
    print(f"{Pull.objects.count():,} pulls, {connection.vendor}")
    gaps = list(selectors.sync_gaps())
    client = admin_client()
    reads = {
        "index page (GET /admin/operations/console/, 24 h)": lambda: get(client, "/admin/operations/console/"),
        "index: every key and feed, its gaps and last pulls": lambda: selectors.pulled_feeds(),
        "index: the gaps of every key and feed (sync_gaps)": lambda: list(selectors.sync_gaps()),
        **{
            f"index: rows per hour of window time, every key and feed, {hours} h": (
                lambda hours=hours: selectors.timelines(hours=hours, gaps=gaps)
            )
            for hours in (24, 168, 720)
        },
        "page (GET /admin/operations/console/InTarget/users/, 24 h)": (
            lambda: get(client, "/admin/operations/console/InTarget/users/")
        ),
        "page: gaps of one key and feed": lambda: list(selectors.sync_gaps(key="InTarget", feed="users")),
        **{
            f"page: rows per hour of window time, {hours} h": (
                lambda hours=hours: selectors.timelines(hours=hours, gaps=gaps, key="InTarget", feed="users")
            )
            for hours in (24, 168, 720)
        },
    }
    for name, read in reads.items():
        timed(name, read)


if __name__ == "__main__":
    main()
