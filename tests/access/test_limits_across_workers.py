"""Limits and revocation hold across processes (operations.md sections 6 and 7).

Two gunicorn instances (two workers each, the shipped configuration) share one
database, as instances behind one proxy would. Requests alternate between them, so a
count or a slot kept in any one process's memory would let through more than the limit.
Runs on the embedded SQLite default (a file) and on PostgreSQL, with no other server.
"""

from __future__ import annotations

import datetime as dt
import http.client
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from django.db import connection

from tests.support.servers import Gunicorn, manage, new_key, shared_database_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

WINDOW = "from=2020-10-10+00:00:00&to=2020-10-11+00:00:00"
ROWS = 100_000  # about 10 MB of CSV: more than the sockets' buffers hold


def get(base: str, key: str, feed: str = "users", query: str = WINDOW) -> int:
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("GET", f"/api/{feed}?{query}", headers={"Authorization": f"Bearer {key}"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def wait_clear_of_the_hour() -> None:
    """A count per hour starts again at the hour: do not straddle it."""
    now = dt.datetime.now(dt.timezone.utc)
    if now.minute == 59 and now.second >= 30:
        time.sleep(61 - now.second)


def load_transactions(env: dict[str, str], rows: int) -> None:
    values = ",".join(
        f"('t{n:07d}','p1','12.5','EUR','IN','2020-10-10 00:00:00','2020-10-10 {n // 3600 % 24:02d}:"
        f"{n // 60 % 60:02d}:{n % 60:02d}')"
        for n in range(rows)
    )
    sql = (
        "INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at) "
        f"VALUES {values}"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET intarget.preserve_timestamps = on")
            cursor.execute(sql)
            cursor.execute("SET intarget.preserve_timestamps = off")
    else:
        import sqlite3

        with sqlite3.connect(f"{env['DATA_DIR']}/db.sqlite3") as db:
            db.execute(sql)


def test_the_rate_limit_holds_across_instances_and_workers(tmp_path):
    env = shared_database_env(tmp_path)
    key = new_key(env, "puller")
    with ExitStack() as stack:
        # Streams uncapped here: 8 requests at once would otherwise meet API_MAX_STREAMS.
        limits = {"API_RATE_LIMIT": "20/hour", "API_MAX_STREAMS": "100"}
        bases = [stack.enter_context(Gunicorn(env, **limits)).url for _ in range(2)]
        wait_clear_of_the_hour()
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda n: get(bases[n % 2], key), range(60)))
    assert statuses.count(200) == 20, str(sorted(statuses))
    assert statuses.count(429) == 40, statuses


def test_the_stream_cap_holds_across_instances_and_a_slot_comes_back_when_its_stream_ends(tmp_path):
    env = shared_database_env(tmp_path)
    load_transactions(env, ROWS)
    key = new_key(env, "puller")
    with ExitStack() as stack:
        bases = [stack.enter_context(Gunicorn(env, API_MAX_STREAMS="2")).url for _ in range(2)]
        held = []
        for base in bases:  # one long answer in progress on each instance, read slowly
            url = urllib.parse.urlsplit(base)
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            conn.request("GET", f"/api/transactions?{WINDOW}", headers={"Authorization": f"Bearer {key}"})
            response = conn.getresponse()
            assert response.status == 200
            first = response.read(1000)
            assert first
            held.append((conn, response, first))
        assert [get(base, key) for base in bases] == [429, 429]
        other = new_key(env, "other")
        assert get(bases[0], other) == 200  # the cap is per key
        conn, response, first = held.pop()
        body = first + response.read()
        conn.close()
        assert body.count(b"\n") == ROWS + 1  # the slowly read answer was complete
        # The slot is given back once the server closes.
        wait_until(lambda: get(bases[0], key) == 200, "the slot of an ended stream was not given back", every=0.1)
        for conn, *_ in held:
            conn.close()


def test_a_revoked_key_is_refused_at_once_by_every_instance(tmp_path):
    env = shared_database_env(tmp_path)
    key = new_key(env, "puller")
    with ExitStack() as stack:
        bases = [stack.enter_context(Gunicorn(env)).url for _ in range(2)]
        assert [get(base, key) for base in bases * 2] == [200] * 4
        manage(env, "revoke_api_key", "puller")
        assert [get(base, key) for base in bases * 3] == [401] * 6
