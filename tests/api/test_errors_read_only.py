"""A read-only PostgreSQL (a standby, or default_transaction_read_only=on) under a real
gunicorn: every feed answers its rows or a 503 JSON with Retry-After, never HTML, never a
500. (SQLite read-only is covered through the test client in test_errors_json.py: as root
a file's permissions do not make it read-only.)"""

import datetime as dt
import json
import urllib.parse

import pytest

from tests.support.pgcluster import PrivateDatabase
from tests.support.servers import Gunicorn, admin_login_page, manage, migrate, new_key, post_admin_login, service_env

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]
FEEDS = ["users", "contacts", "logins", "transactions", "wallets", "games", "tournaments", "sport-events", "bets"]


@pytest.fixture(scope="module")
def read_only_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("read-only")
    database = PrivateDatabase("read_only")
    env = service_env(data, database.url)
    migrate(env)
    manage(env, "seed_demo", "--players", "5")
    key = new_key(env, "ro")
    # libpq reads PGOPTIONS: every session of the service is read-only, as on a standby.
    with Gunicorn(env, data / "gunicorn.log", PGOPTIONS="-c default_transaction_read_only=on") as server:
        yield server, key
    database.drop()


def test_every_feed_answers_rows_or_a_json_503_on_a_read_only_database(read_only_server):
    server, key = read_only_server
    now = dt.datetime.now(dt.UTC)
    window = urllib.parse.urlencode({
        "from": (now - dt.timedelta(hours=12)).strftime("%Y-%m-%d %H:%M:%S"),
        "to": (now - dt.timedelta(seconds=5)).strftime("%Y-%m-%d %H:%M:%S"),
    })
    statuses = {}
    for feed in FEEDS:
        status, headers, body = server.request("GET", f"/api/{feed}?{window}", {"Authorization": f"Bearer {key}"})
        statuses[feed] = status
        assert status in (200, 503), (feed, status, body[:300])
        if status == 503:
            assert headers["content-type"].startswith("application/json")
            assert "database" in json.loads(body)["error"]
            assert int(headers["retry-after"]) > 0
    assert "Internal Server Error" not in server.log_text()
    print("read-only statuses:", statuses)


def test_an_admin_login_on_a_read_only_database_is_never_a_500(read_only_server):
    server, _ = read_only_server
    _, form, token = admin_login_page(server)
    status, headers, body = post_admin_login(server, form, token, "admin", "guess")
    assert status == 503, body[:300]
    assert int(headers["retry-after"]) > 0
