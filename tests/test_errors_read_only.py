"""A read-only PostgreSQL (a standby, or default_transaction_read_only=on) under a real
gunicorn: every feed answers its rows or a 503 JSON with Retry-After, never HTML, never a
500. (SQLite read-only is covered through the test client in test_errors_json.py: as root
a file's permissions do not make it read-only.)"""

import datetime as dt
import json
import re
import urllib.parse

import pytest

from tests.gunicorn_server import PrivatePostgres, manage, service_environment, start_gunicorn

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]
FEEDS = ["users", "contacts", "logins", "transactions", "wallets", "games", "tournaments", "sport-events", "bets"]


@pytest.fixture(scope="module")
def read_only_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("read-only")
    database = PrivatePostgres("read_only")
    env = service_environment(DATA_DIR=str(data), DATABASE_URL=database.url)
    manage("migrate", "-v0", env=env)
    manage("seed_demo", "--players", "5", env=env)
    key = manage("create_api_key", "ro", env=env).splitlines()[-1]
    # libpq reads PGOPTIONS: every session of the service is read-only, as on a standby.
    server = start_gunicorn({**env, "PGOPTIONS": "-c default_transaction_read_only=on"}, data / "gunicorn.log")
    yield server, key
    server.stop()
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
    status, headers, body = server.request("GET", "/admin/login/")
    cookie = re.search(r"csrftoken=([^;]+)", headers["set-cookie"]).group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "admin", "password": "guess"})
    status, headers, body = server.request(
        "POST", "/admin/login/", {"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded"},
        form.encode(),
    )
    assert status == 503, body[:300]
    assert int(headers["retry-after"]) > 0
