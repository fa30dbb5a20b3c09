"""The shipped gunicorn configuration streams to the end, and a stream that dies
mid-way ends as a broken transfer, never as a clean end of body."""

import http.client
import os
import signal
import sqlite3

import pytest

from tests.support.servers import Gunicorn, migrate, new_key, service_env

ROWS = 200_000
QUERY = "/api/transactions?from=2020-10-10+00:00:00&to=2020-10-11+00:00:00"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn with gunicorn.conf.py on its own SQLite file of ROWS transactions."""
    data = tmp_path_factory.mktemp("gunicorn")
    env = service_env(data, WEB_CONCURRENCY="1")
    migrate(env)
    key = new_key(env, "t")
    with sqlite3.connect(data / "db.sqlite3") as db:
        db.executemany(
            "INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at) "
            "VALUES (?, 'p1', '12.5', 'EUR', 'IN', '2020-10-10 00:00:00', ?)",
            ((f"t{n:07d}", f"2020-10-10 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}") for n in range(ROWS)),
        )
    with Gunicorn(env, data / "gunicorn.log") as gunicorn:
        yield gunicorn.port, key, gunicorn


class HTTP10Connection(http.client.HTTPConnection):
    """http.client speaking HTTP/1.0, as a client or a downgrading proxy would."""

    _http_vsn = 10
    _http_vsn_str = "HTTP/1.0"


def request(port: int, key: str, connection_class=http.client.HTTPConnection) -> http.client.HTTPResponse:
    connection = connection_class("127.0.0.1", port, timeout=60)
    connection.request("GET", QUERY, headers={"Authorization": f"Bearer {key}"})
    return connection.getresponse()


def test_a_long_stream_is_served_to_the_end(server):
    port, key, _ = server
    response = request(port, key)
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"
    lines = response.read().split(b"\n")
    assert lines[-1] == b""  # the body ends with a complete record
    assert {line.split(b",")[0] for line in lines[1:-1]} == {f"t{n:07d}".encode() for n in range(ROWS)}


def test_an_http_1_0_answer_is_sent_whole_with_its_length(server):
    port, key, _ = server
    response = request(port, key, HTTP10Connection)
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") is None
    body = response.read()
    assert int(response.getheader("Content-Length")) == len(body)
    lines = body.split(b"\n")
    assert lines[-1] == b""
    assert len(lines) == ROWS + 2  # header, ROWS records, and the empty string after the last LF


def assert_broken_when_the_worker_dies(server, connection_class) -> None:
    port, key, gunicorn = server
    response = request(port, key, connection_class)
    assert response.status == 200
    assert response.read(65536)
    for pid in gunicorn.worker_pids():
        os.kill(pid, signal.SIGKILL)
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        response.read()


def test_an_http_1_0_answer_whose_worker_dies_is_short_of_its_length(server):
    assert_broken_when_the_worker_dies(server, HTTP10Connection)


def test_a_stream_whose_worker_dies_ends_as_a_broken_transfer(server):
    assert_broken_when_the_worker_dies(server, http.client.HTTPConnection)
