"""The access logs of gunicorn (shipped gunicorn.conf.py) and of nginx (shipped
deploy/nginx.conf) never hold a key, however it was sent."""

import base64
import http.client
from pathlib import Path

import pytest

from intarget_export.access_log import redacted_query
from tests.support import nginx
from tests.support.servers import Gunicorn, migrate, new_key, service_env
from tests.support.waiting import wait_until

QUERY = "/api/transactions?from=2020-10-10+00:00:00&to=2020-10-11+00:00:00"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("access-log")
    env = service_env(data, WEB_CONCURRENCY="1")
    migrate(env)
    key = new_key(env)
    with Gunicorn(env, data / "gunicorn.log") as gunicorn:
        yield gunicorn, key


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def ask(port: int, path: str, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def offer_keys_every_way(port: int, key: str) -> list[str]:
    """Ask with ``key`` (and a rejected one) in every place a client may put it; the secrets."""
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
        assert ask(port, QUERY, {"Host": "localhost", **headers}) == status, name
    # A key in the URL is not accepted, but a puller may put one there by mistake.
    assert ask(port, f"{QUERY}&api_key={key}&token={wrong}", {"Host": "localhost"}) == 401
    return [key, wrong]


def assert_no_secret_in(log: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in log
        assert base64.b64encode(f"{secret}:x".encode()).decode() not in log
        assert base64.b64encode(f"intarget:{secret}".encode()).decode() not in log


def test_no_key_reaches_gunicorn_s_access_log_however_it_is_sent(server):
    gunicorn, key = server
    secrets = offer_keys_every_way(gunicorn.port, key)
    # The request line, as the access log writes it: Django's own warnings ("Unauthorized:
    # /api/transactions") name the path too, and must not count.
    log = wait_for_lines(gunicorn.log, '"GET /api/transactions', 8)
    assert_no_secret_in(log, secrets)
    # The lines still say what was asked and answered, window included.
    assert 'GET /api/transactions?from=2020-10-10+00:00:00&to=2020-10-11+00:00:00 HTTP/1.1" 200' in log
    assert "api_key=***&token=***" in log


@pytest.mark.slow
def test_no_key_reaches_nginx_s_access_log_however_it_is_sent(server, tmp_path):
    gunicorn, key = server
    assert nginx.available(), "nginx is missing: apt-get install nginx-light (.ci/run does it)"
    proxy = nginx.Nginx(tmp_path / "nginx", gunicorn.port, shipped=True)
    try:
        secrets = offer_keys_every_way(proxy.port, key)
        log = wait_for_lines(proxy.access_log, "/api/transactions", 8)
    finally:
        proxy.stop()
    assert_no_secret_in(log, secrets)
    # nginx's default log format would have logged the Basic user name ($remote_user).
    assert 'GET /api/transactions HTTP/1.1" from="2020-10-10+00:00:00" to="2020-10-11+00:00:00"' in log
    assert " 401 " in log and " 200 " in log


def wait_for_lines(path: Path, marker: str, count: int) -> str:
    """The log once it holds ``count`` access lines with ``marker``."""

    def logged() -> str | None:
        log = path.read_text()
        return log if log.count(marker) >= count else None

    return wait_until(logged, lambda: f"{count} access lines with {marker!r}: {path.read_text()[-2000:]}")


def test_a_digest_s_step_is_logged_as_the_window_is():
    assert redacted_query("from=2020-10-10+00:00:00&to=2020-10-11+00:00:00&step=1h&key=abc") == (
        "from=2020-10-10+00:00:00&to=2020-10-11+00:00:00&step=1h&key=***"
    )
