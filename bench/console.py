"""Benchmark: the operator's console over a full pull log (90 days of per-minute pulls of
two feeds by one key, one minute skipped per feed: 259,198 entries).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/console_bench .venv/bin/python bench/console.py

The database named by DATABASE_URL must exist (it is migrated; the pulls are made once
and kept for the next run). Prints how long each read of the console takes.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intarget_export.settings")
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="console-bench-"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from operations import selectors  # noqa: E402
from operations.models import Pull  # noqa: E402

DAYS, FEEDS = 90, ("users", "transactions")


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


def main() -> None:
    call_command("migrate", verbosity=0)
    if not Pull.objects.filter(key_name="InTarget").exists():
        make_pulls()
    print(f"{Pull.objects.count():,} pulls")
    gaps = list(selectors.sync_gaps())
    reads = {
        "index: every key and feed, its gaps and last pulls": lambda: selectors.pulled_feeds(),
        **{
            f"index: rows per hour of window time, every key and feed, {hours} h": (
                lambda hours=hours: selectors.timelines(hours=hours, gaps=gaps)
            )
            for hours in (24, 168, 720)
        },
        "page: gaps of one key and feed": lambda: list(selectors.sync_gaps(key="InTarget", feed="users")),
        **{
            f"page: rows per hour of window time, {hours} h": (
                lambda hours=hours: selectors.timelines(hours=hours, gaps=gaps, key="InTarget", feed="users")
            )
            for hours in (24, 168, 720)
        },
        "page: last whole window": lambda: selectors.last_window(key="InTarget", feed="users"),
    }
    for name, read in reads.items():
        started = time.perf_counter()
        read()
        print(f"{name}: {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
