"""An erasure is a write like any other (operations.md 11, docs/no-row-lost.md): over
real HTTP, a window that ends while an erasure is still open waits for it, then serves
the erased rows; a window is never served without them. Real processes throughout:
import_feed loads the player, gunicorn serves, and the erasure runs in a manage.py of
its own, holding its transaction open."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.holding import HeldWrite, holding_writer, pull_while_held, wait_past
from tests.support.servers import Gunicorn, manage, new_key, shared_database_env

USERS = (
    "id,first_name,last_name,gender,city,ip,birthday,registered_at,user_agent,modified_at\n"
    "p1,Ada,Lovelace,female,London,203.0.113.5,1990-12-10,2020-09-01 10:00:00,Mozilla/5.0,2020-10-10 07:30:00\n"
)
ERASED_ROW = b"p1,,,,,,,,2020-09-01 10:00:00,,,,"
# Erases p1; the erasure's stamp is printed while the transaction is held.
HOLDING_ERASER = holding_writer(
    "from privacy.services import player_erase",
    'erasure = player_erase(player_id="p1", operator="tests", via="command")',
    "erasure.erased_at",
)


def window(end: dt.datetime) -> str:
    start = end - dt.timedelta(hours=1)
    return f"/api/users?from={start:%Y-%m-%d+%H:%M:%S}&to={end:%Y-%m-%d+%H:%M:%S}"


@pytest.mark.django_db(transaction=True)
def test_a_window_ending_while_an_erasure_is_open_waits_for_it_then_serves_the_erased_row(tmp_path):
    env = shared_database_env(tmp_path)
    (tmp_path / "users.csv").write_text(USERS)
    manage(env, "import_feed", "users", str(tmp_path / "users.csv"), "--preserve-timestamps")
    key = new_key(env, "InTarget")
    with Gunicorn(env, tmp_path / "gunicorn.log") as server:
        status, _, body = server.get("/api/users?from=2020-10-10+07:00:00&to=2020-10-10+08:00:00", key)
        assert status == 200 and b"p1,Ada,Lovelace" in body
        with HeldWrite(env, HOLDING_ERASER) as eraser:
            stamped = eraser.stamped()
            # A window that ends after the erasure's stamp, once it has ended, while the
            # erasure has not committed yet.
            end = stamped.replace(microsecond=0) + dt.timedelta(seconds=1)
            wait_past(end)
            pull = pull_while_held(server, window(end), key, eraser)
    assert not pull.served_while_open, "the window was served while the erasure could still commit into it"
    assert pull.answer["status"] == 200, pull.answer
    lines = pull.answer["body"].split(b"\n")
    assert len(lines) == 3 and lines[1].startswith(ERASED_ROW), lines
