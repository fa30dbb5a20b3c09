"""gunicorn's access log (shipped gunicorn.conf.py) never holds a key, however it was sent."""

import base64
import http.client
import time

import pytest

from tests.servers import Gunicorn, free_port, manage, new_key, service_env

QUERY = "/api/transactions?from=2020-10-10+00:00:00&to=2020-10-11+00:00:00"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("access-log")
    env = service_env(data, WEB_CONCURRENCY="1")
    manage(env, "migrate", "-v0")
    key = new_key(env)
    gunicorn = Gunicorn(env, free_port(), data / "gunicorn.log")
    yield gunicorn, key
    gunicorn.stop()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def ask(port: int, path: str, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def test_no_key_reaches_the_access_log_however_it_is_sent(server):
    gunicorn, key = server
    wrong = "not-a-key-" + key[::-1]  # a rejected key is a secret too (a typo of a real one)
    offers = {
        "Basic user name": ({"Authorization": basic(key, "x")}, 401),
        "Basic password": ({"Authorization": basic("intarget", key)}, 200),
        "Bearer": ({"Authorization": f"Bearer {key}"}, 200),
        "X-Api-Key": ({"X-Api-Key": key}, 200),
        "wrong Bearer": ({"Authorization": f"Bearer {wrong}"}, 401),
        "Cookie": ({"Cookie": f"sessionid={key}", "X-Api-Key": key}, 200),
        "Proxy-Authorization": ({"Proxy-Authorization": f"Bearer {key}", "X-Api-Key": key}, 200),
    }
    for name, (headers, status) in offers.items():
        assert ask(gunicorn.port, QUERY, headers) == status, name
    # A key in the URL is not accepted, but a puller may put one there by mistake.
    assert ask(gunicorn.port, f"{QUERY}&api_key={key}&token={wrong}", {}) == 401

    log = wait_for_lines(gunicorn, QUERY.split("?")[0], len(offers) + 1)
    for secret in (key, wrong):
        assert secret not in log
        assert base64.b64encode(f"{secret}:x".encode()).decode() not in log
        assert base64.b64encode(f"intarget:{secret}".encode()).decode() not in log
    # The lines still say what was asked and answered, window included.
    assert 'GET /api/transactions?from=2020-10-10+00:00:00&to=2020-10-11+00:00:00 HTTP/1.1" 200' in log
    assert "api_key=***&token=***" in log


def wait_for_lines(gunicorn: Gunicorn, marker: str, count: int) -> str:
    """The log once it holds ``count`` access lines with ``marker``."""
    deadline = time.monotonic() + 10
    while True:
        log = gunicorn.log.read_text()
        if log.count(marker) >= count or time.monotonic() > deadline:
            return log
        time.sleep(0.05)
