"""A deletion is a write like any other, on either database: over real HTTP, a window of
/api/deletions that ends while a deletion is still open waits for it, then serves its
tombstone; it is never served without it. Real processes throughout: import_feed loads
the player, gunicorn serves, and the deletion runs in a manage.py of its own, holding
its transaction open (on SQLite the puller waits for the write lock, on PostgreSQL for
the open writer of the tombstones' table)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.holding import HeldWrite, holding_writer, pull_while_held, wait_past
from tests.support.servers import Gunicorn, manage, new_key, shared_database_env

USERS = "id,registered_at,modified_at\np1,2020-09-01 10:00:00,2020-10-10 07:30:00\n"
# Deletes p1; its tombstone's time is printed while the transaction is held.
HOLDING_DELETER = holding_writer(
    "from deletions.models import Tombstone\nfrom players.models import Player",
    'Player.objects.filter(id="p1").delete()',
    'Tombstone.objects.get(row_id="p1").deleted_at',
)


@pytest.mark.django_db(transaction=True)
def test_a_window_ending_while_a_deletion_is_open_waits_for_it_then_serves_the_tombstone(tmp_path):
    env = shared_database_env(tmp_path)
    (tmp_path / "users.csv").write_text(USERS)
    manage(env, "import_feed", "users", str(tmp_path / "users.csv"), "--preserve-timestamps")
    key = new_key(env, "InTarget")
    with Gunicorn(env, tmp_path / "gunicorn.log") as server, HeldWrite(env, HOLDING_DELETER) as deleter:
        stamped = deleter.stamped()
        # A window that ends after the tombstone's time, once it has ended, while the
        # deletion has not committed yet.
        start, end = stamped, stamped + dt.timedelta(seconds=1)
        wait_past(end)
        pull = pull_while_held(server, f"/api/deletions?from={start:%Y-%m-%d+%H:%M:%S}&to={end:%Y-%m-%d+%H:%M:%S}",
                               key, deleter)
    assert not pull.served_while_open, "the window was served while the deletion could still commit into it"
    assert pull.answer["status"] == 200, pull.answer
    assert pull.answer["body"] == f"feed,id,deleted_at\nusers,p1,{stamped:%Y-%m-%d %H:%M:%S}\n".encode()
