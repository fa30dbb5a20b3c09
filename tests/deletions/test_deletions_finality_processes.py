"""A deletion is a write like any other, on either database: over real HTTP, a window of
/api/deletions that ends while a deletion is still open waits for it, then serves its
tombstone; it is never served without it. Real processes throughout: import_feed loads
the player, gunicorn serves, and the deletion runs in a manage.py of its own, holding
its transaction open (on SQLite the puller waits for the write lock, on PostgreSQL for
the open writer of the tombstones' table)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time

import pytest

from tests.support.servers import ROOT, Gunicorn, manage, new_key, shared_database_env

USERS = "id,registered_at,modified_at\np1,2020-09-01 10:00:00,2020-10-10 07:30:00\n"
HOLD = 2.5
# Deletes p1 inside a transaction it keeps open for HOLD seconds after printing the
# tombstone's time.
HOLDING_DELETER = f"""
import time
from django.db import transaction
from deletions.models import Tombstone
from feeds.columns import format_timestamp
from players.models import Player
with transaction.atomic():
    Player.objects.filter(id="p1").delete()
    print("deleted", format_timestamp(Tombstone.objects.get(row_id="p1").deleted_at), flush=True)
    time.sleep({HOLD})
"""


def deleted_at(deleter: subprocess.Popen) -> dt.datetime:
    for line in deleter.stdout:  # manage.py shell may say something first
        if line.startswith("deleted "):
            return dt.datetime.fromisoformat(line.split(" ", 1)[1].strip()).replace(tzinfo=dt.timezone.utc)
    raise AssertionError(f"the deletion failed: {deleter.stderr.read()}")


@pytest.mark.django_db(transaction=True)
def test_a_window_ending_while_a_deletion_is_open_waits_for_it_then_serves_the_tombstone(tmp_path):
    env = shared_database_env(tmp_path)
    (tmp_path / "users.csv").write_text(USERS)
    manage(env, "import_feed", "users", str(tmp_path / "users.csv"), "--preserve-timestamps")
    key = new_key(env, "InTarget")
    with Gunicorn(env, tmp_path / "gunicorn.log") as server:
        deleter = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", HOLDING_DELETER],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            stamped = deleted_at(deleter)
            # A window that ends after the tombstone's time, once it has ended, while the
            # deletion has not committed yet.
            start, end = stamped, stamped + dt.timedelta(seconds=1)
            while dt.datetime.now(dt.timezone.utc) < end + dt.timedelta(milliseconds=50):
                time.sleep(0.02)
            query = f"/api/deletions?from={start:%Y-%m-%d+%H:%M:%S}&to={end:%Y-%m-%d+%H:%M:%S}"
            answer: dict[str, object] = {}
            puller = threading.Thread(target=lambda: answer.update(zip(("status", "headers", "body"), server.get(query, key))))
            puller.start()
            time.sleep(0.5)
            served_while_open = not puller.is_alive()
            assert deleter.poll() is None, "the deletion committed too early for this test"
            puller.join(30)
            assert deleter.wait(30) == 0, deleter.stderr.read()
        finally:
            if deleter.poll() is None:
                deleter.kill()
    assert not served_while_open, "the window was served while the deletion could still commit into it"
    assert answer["status"] == 200, answer
    assert answer["body"] == f"feed,id,deleted_at\nusers,p1,{stamped:%Y-%m-%d %H:%M:%S}\n".encode()
