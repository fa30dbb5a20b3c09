"""Request limits of the shipped deployment (deploy/nginx.conf in front of gunicorn.conf.py):
what nginx lets through is answered by the service, what it refuses gets a JSON error;
no answer is gunicorn's or nginx's HTML page."""

import http.client
import json
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from tests.support import nginx
from tests.support.servers import Gunicorn, free_port, migrate, new_key, service_env

pytestmark = pytest.mark.slow

WINDOW = "from=2020-10-10+00:00:00&to=2020-10-10+01:00:00"


@pytest.fixture(scope="module")
def deployment():
    assert nginx.available(), "nginx is missing: apt-get install nginx-light (.ci/run does it)"
    folder = Path(tempfile.mkdtemp(prefix="intarget-limits-"))
    env = service_env(folder, None, DEBUG="False", SECRET_KEY="tests-" + "x" * 50, SECURE_SSL_REDIRECT="False",
                      ALLOWED_HOSTS="localhost,127.0.0.1")
    migrate(env)
    key = new_key(env)
    gunicorn = Gunicorn(env, folder / "gunicorn.log")
    proxy = nginx.Nginx(folder / "nginx", gunicorn.port, shipped=True)
    yield proxy, key
    proxy.stop()
    gunicorn.stop()
    shutil.rmtree(folder, ignore_errors=True)


def ask(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Host": "localhost", **headers})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


def test_a_long_request_line_that_nginx_accepts_is_answered_by_the_service(deployment):
    proxy, key = deployment
    status, headers, body = ask(proxy.port, f"/api/transactions?{WINDOW}&pad={'x' * 6000}", {"X-Api-Key": key})
    assert status == 200, body  # gunicorn's default limit (4094 bytes) would have refused it in HTML
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path, headers, status",
    [
        (f"/api/transactions?{WINDOW}&pad={'x' * 9000}", {}, 414),
        (f"/api/transactions?{WINDOW}", {"X-Padding": "x" * 9000}, 400),
    ],
    ids=["request line over 8 KiB", "header line over 8 KiB"],
)
def test_what_nginx_refuses_gets_a_json_error(deployment, path, headers, status):
    proxy, key = deployment
    got, answer_headers, body = ask(proxy.port, path, {"X-Api-Key": key, **headers})
    assert got == status
    assert answer_headers["Content-Type"] == "application/json"
    assert answer_headers["Cache-Control"] == "no-store"
    assert json.loads(body)["error"]


def test_many_headers_that_nginx_accepts_are_answered_by_the_service(deployment):
    proxy, key = deployment
    many = {f"X-Extra-{n}": "1" for n in range(300)}  # gunicorn's default allows 100
    status, _, body = ask(proxy.port, f"/api/transactions?{WINDOW}", {"X-Api-Key": key, **many})
    assert status == 200, body


def test_gunicorn_down_is_a_json_503_with_retry_after(tmp_path):
    proxy = nginx.Nginx(tmp_path / "nginx", free_port(), shipped=True)  # nothing listens upstream
    try:
        status, headers, body = ask(proxy.port, f"/api/transactions?{WINDOW}", {})
    finally:
        proxy.stop()
    assert status == 503
    assert headers["Content-Type"] == "application/json"
    assert headers["Retry-After"] == "5"
    assert json.loads(body)["error"]


def test_a_malformed_request_gets_a_json_error(deployment):
    proxy, _ = deployment
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(b"NOT AN HTTP REQUEST\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["error"]
