"""Pushes through the shipped deploy/nginx.conf (operations.md section 10): bodies above the
admin's 1 MiB pass to the service, chunked ones too (nginx takes the body whole, then
hands it on with its length), and a body over PUSH_MAX_BYTES gets the service's own 413,
which names the limit; only one over nginx's own limit gets nginx's JSON 413."""

from __future__ import annotations

import http.client
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import nginx
from tests.support.servers import Gunicorn, migrate, new_key, service_env

pytestmark = pytest.mark.slow

HEADER = b"id,player_id,amount,currency,dir,created_at,comment\n"
PUSH_MAX_BYTES = 50 * 2**20  # the service's default, which nginx.conf's 51m is above


@pytest.fixture(scope="module")
def deployment():
    assert nginx.available(), "nginx is missing: apt-get install nginx-light (.ci/run does it)"
    folder = Path(tempfile.mkdtemp(prefix="intarget-push-nginx-"))
    env = service_env(folder, None, DEBUG="False", SECRET_KEY="tests-" + "x" * 50, SECURE_SSL_REDIRECT="False",
                      ALLOWED_HOSTS="localhost,127.0.0.1")
    migrate(env)
    key = new_key(env, "product backend", "--push")
    gunicorn = Gunicorn(env, folder / "gunicorn.log")
    proxy = nginx.Nginx(folder / "nginx", gunicorn.port, shipped=True)
    yield proxy, key
    proxy.stop()
    gunicorn.stop()
    shutil.rmtree(folder, ignore_errors=True)


def body_of(size: int) -> bytes:
    """A valid transactions CSV of at least ``size`` bytes, in rows of about 1 KiB."""
    line = b"t%07d,p1,1.25,EUR,IN,2020-10-10 07:00:00," + b"a long comment " * 64 + b"\n"
    count = max(1, (size - len(HEADER)) // len(line % 0) + 1)
    return HEADER + b"".join(line % n for n in range(count))


def push(port: int, key: str, body: bytes | Iterator[bytes], length: int | None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Host": "localhost", "Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    if length is not None:
        headers["Content-Length"] = str(length)
    try:
        connection.request("POST", "/api/transactions", body=body, headers=headers, encode_chunked=length is None)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before the whole body was sent; the answer is still there to read
    response = connection.getresponse()
    answer = response.status, json.loads(response.read())
    connection.close()
    return answer


def blocks(data: bytes) -> Iterator[bytes]:
    return (data[start : start + 2**16] for start in range(0, len(data), 2**16))


def test_a_push_over_a_mebibyte_reaches_the_service_with_its_length_and_chunked(deployment):
    proxy, key = deployment
    body = body_of(2 * 2**20)
    rows = body.count(b"\n") - 1
    assert push(proxy.port, key, body, len(body)) == (200, {"rows": rows})
    assert push(proxy.port, key, blocks(body), None) == (200, {"rows": rows})


def test_a_body_over_push_max_bytes_gets_the_services_413_naming_the_limit(deployment):
    proxy, key = deployment
    body = b"x" * (PUSH_MAX_BYTES + 2**19)  # above the service's limit, below nginx's 51m
    status, answer = push(proxy.port, key, blocks(body), len(body))
    assert status == 413 and "PUSH_MAX_BYTES" in answer["error"]


def test_a_body_over_nginxs_own_limit_gets_its_json_413(deployment):
    proxy, key = deployment
    body = b"x" * (52 * 2**20)
    status, answer = push(proxy.port, key, blocks(body), len(body))
    assert status == 413 and "too large" in answer["error"]
