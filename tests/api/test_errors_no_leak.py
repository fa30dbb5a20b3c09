"""Through a real gunicorn with DEBUG unset: no page and no log line shows a setting or a
secret, even when the database is unreachable; and with no environment at all the service
starts, keeps a generated secret key and serves plain HTTP on localhost."""

import json
import os

import pytest

from tests.support.servers import Gunicorn, admin_login_page, free_port, migrate, new_key, post_admin_login, service_env

PASSWORD = "Pw-d0nt-show-me-8d1f3"
WINDOW = "from=2020-10-10+07:00:00&to=2020-10-10+08:00:00"


@pytest.fixture(scope="module")
def unreachable(tmp_path_factory):
    """gunicorn whose DATABASE_URL, password included, points at a port nobody listens on."""
    data = tmp_path_factory.mktemp("unreachable")
    url = f"postgresql://intarget:{PASSWORD}@127.0.0.1:{free_port()}/intarget"
    with Gunicorn(service_env(data, url), data / "gunicorn.log") as server:
        yield server, url


def assert_no_secret(text: str, url: str) -> None:
    assert PASSWORD not in text
    assert url not in text
    assert "DATABASE_URL" not in text and "SECRET_KEY" not in text
    assert "Traceback" not in text


def test_an_admin_login_with_the_database_down_is_a_plain_503(unreachable):
    server, url = unreachable
    status, form, token = admin_login_page(server)  # needs no database
    assert status == 200
    status, headers, body = post_admin_login(server, form, token, "admin", "guess")
    assert status == 503
    assert int(headers["retry-after"]) > 0
    assert_no_secret(body.decode(), url)


@pytest.mark.parametrize("scheme", ["Bearer", "Basic"])
def test_a_feed_with_the_database_down_is_a_json_503(unreachable, scheme):
    server, url = unreachable
    credentials = "some-key" if scheme == "Bearer" else "dXNlcjpzb21lLWtleQ=="
    status, headers, body = server.request("GET", f"/api/users?{WINDOW}", {"Authorization": f"{scheme} {credentials}"})
    assert status == 503
    assert int(headers["retry-after"]) > 0
    assert "database" in json.loads(body)["error"]
    assert_no_secret(body.decode(), url)


@pytest.mark.parametrize("path", ["/", "/nope", "/admin/nope", "/api/users.json", "/api/users/x", "/static/x"])
def test_no_page_lists_url_patterns_or_settings(unreachable, path):
    server, url = unreachable
    status, headers, body = server.request("GET", path)
    assert status in (200, 302, 404), (path, status)
    text = body.decode()
    assert "URLconf" not in text and "api/(?P" not in text
    if path != "/":  # the home page links the admin on purpose (tests/intarget_export/test_home_page.py)
        assert "admin/" not in text
    assert_no_secret(text, url)
    if path.startswith("/api/"):
        assert headers["content-type"].startswith("application/json")


def test_the_log_has_the_failures_but_no_password_or_database_url(unreachable):
    server, url = unreachable
    server.request("GET", f"/api/users?{WINDOW}", {"Authorization": "Bearer k"})
    log = server.log_text()
    assert "request failed on the database" in log  # the failure is logged...
    assert PASSWORD not in log  # ...without the credentials
    assert url not in log and "DATABASE_URL" not in log


@pytest.mark.slow
def test_with_no_environment_it_starts_and_serves_plain_http_on_localhost(tmp_path):
    # Only what the test needs to stay out of the checkout: where the data goes and the port.
    env = {"PATH": os.environ["PATH"], "DATA_DIR": str(tmp_path)}
    migrate(env)
    key = new_key(env, "intarget")
    secret = (tmp_path / "secret_key").read_text()
    with Gunicorn(env, tmp_path / "gunicorn.log") as server:
        status, headers, body = server.request("GET", f"/api/users?{WINDOW}", {"Authorization": f"Bearer {key}"})
        assert status == 200, body
        assert body.startswith(b"id,")
        status, _, _ = server.request("GET", f"/api/users?{WINDOW}", {"Authorization": f"Bearer {key}"})
        assert status == 200  # plain HTTP: no redirect to https
        status, _, body = server.request("GET", "/nope")
        assert status == 404 and b"URLconf" not in body  # DEBUG is off
    assert (tmp_path / "secret_key").read_text() == secret  # kept, not regenerated
    assert key not in server.log_text()
