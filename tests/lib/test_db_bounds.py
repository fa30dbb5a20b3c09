"""Everything that can hang on the database is bounded (lib/db_bounds.py).

A table locked by another session, and a database server that stops answering at all
(its processes frozen with SIGSTOP: no server-side timeout fires then), end in a 503
JSON answer with Retry-After within the bound when they happen before the first byte,
and in a broken transfer when they happen mid-stream; a long stream is not cut by the
service's short statement bound.
"""

from __future__ import annotations

import http.client
import json
import time

import pytest
from django.conf import settings

from tests.support.pg import Background, raw_connection
from tests.support.pgcluster import PostgresCluster, server_bin
from tests.support.servers import Gunicorn, migrate, new_key, service_env

postgresql = pytest.mark.postgresql
EVENTS = "/api/sport-events?from=2020-10-10+00:00:00&to=2020-10-11+00:00:00"


def timed_get(client, path: str):  # type: ignore[no-untyped-def]
    began = time.monotonic()
    response = client.get(path)
    if response.streaming:
        b"".join(response.streaming_content)
    return response, time.monotonic() - began


def assert_busy(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_table_locked_by_another_session_answers_503_at_once_when_no_waiting_slot_is_free(client_with_key, settings):
    settings.FINALITY_MAX_WAITERS = 0
    with raw_connection() as other:
        other.execute("LOCK TABLE sports_sportevent IN ACCESS EXCLUSIVE MODE")
        try:
            request = Background(lambda: timed_get(client_with_key, EVENTS))
            request.start()
            response, seconds = request.result(timeout=30)
        finally:
            other.rollback()
    assert_busy(response)
    assert "sports_sportevent is locked" in response.json()["error"]
    assert seconds < 1


@postgresql
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_table_locked_by_another_session_answers_503_within_the_lock_bound(client_with_key):
    with raw_connection() as other:
        other.execute("LOCK TABLE sports_sportevent IN ACCESS EXCLUSIVE MODE")
        try:
            request = Background(lambda: timed_get(client_with_key, EVENTS))
            request.start()
            response, seconds = request.result(timeout=settings.DATABASE_LOCK_TIMEOUT + 20)
        finally:
            other.rollback()
    assert_busy(response)
    assert settings.DATABASE_LOCK_TIMEOUT - 1 < seconds < settings.DATABASE_LOCK_TIMEOUT + 2


# --- a database server that stops answering: a private cluster, frozen ----------------

ROWS = 300_000
STALL = 3.0
TRANSACTIONS = "/api/transactions?from=2020-10-10+00:00:00&to=2020-10-11+00:00:00"

needs_server = pytest.mark.skipif(server_bin() is None, reason="PostgreSQL server binaries not installed")


@pytest.fixture(scope="module")
def served_on_private_cluster(tmp_path_factory):
    """gunicorn (shipped config, one worker) on a private cluster with ROWS transactions;
    short bounds so that the test is quick: the stall bound, and a 1 s statement bound
    that a stream must outlive."""
    data = tmp_path_factory.mktemp("gunicorn")
    with PostgresCluster.create() as cluster:
        cluster.start()
        env = service_env(
            data, cluster.create_database("intarget"), WEB_CONCURRENCY="1",
            DATABASE_STALL_TIMEOUT=str(STALL), DATABASE_CONNECT_TIMEOUT="2", DATABASE_STATEMENT_TIMEOUT="1",
        )
        migrate(env)
        key = new_key(env)
        cluster.execute(
            "ALTER TABLE payments_transaction DISABLE TRIGGER stamp;"
            "INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at) "
            f"SELECT 't' || lpad(g::text, 7, '0'), 'p1', 12.5, 'EUR', 'IN', '2020-10-10', "
            f"timestamptz '2020-10-10 00:00:00+00' + g * interval '200 ms' FROM generate_series(0, {ROWS - 1}) g;"
            "ALTER TABLE payments_transaction ENABLE TRIGGER stamp; ANALYZE",
            database="intarget",
        )
        with Gunicorn(env, data / "log") as server:
            yield cluster, server, key


def open_stream(port: int, key: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", TRANSACTIONS, headers={"Authorization": f"Bearer {key}"})
    return connection.getresponse()


@pytest.mark.slow
@postgresql
@needs_server
def test_a_stream_outlives_the_statement_bound_of_the_service(served_on_private_cluster):
    _, server, key = served_on_private_cluster
    response = open_stream(server.port, key)
    assert response.status == 200
    first = response.read(65536)
    # A slow reader: the COPY waits on it for longer than the 1 s statement bound and the
    # 3 s stall bound; neither may cut it (the stall bound covers waits on the database only).
    time.sleep(STALL + 1)
    lines = (first + response.read()).split(b"\n")
    assert lines[-1] == b""
    assert len(lines) - 2 == ROWS  # the header, the rows, the empty string after the last LF


@pytest.mark.slow
@postgresql
@needs_server
def test_a_frozen_database_answers_503_within_the_stall_bound(served_on_private_cluster):
    cluster, server, key = served_on_private_cluster
    assert server.get(EVENTS, key)[0] == 200
    cluster.freeze()
    try:
        answers = []
        for _ in range(3):  # threads with a kept connection, and one connecting anew
            began = time.monotonic()
            status, headers, body = server.get(EVENTS, key, timeout=30)
            answers.append((status, headers, body, time.monotonic() - began))
    finally:
        cluster.thaw()
    for status, headers, body, seconds in answers:
        assert status == 503
        assert headers["Content-Type"].startswith("application/json")
        assert int(headers["Retry-After"]) >= 1
        assert json.loads(body)["error"]
        assert seconds < STALL + 2
    assert server.get(EVENTS, key)[0] == 200  # and it serves again once the database is back


@pytest.mark.slow
@postgresql
@needs_server
def test_a_database_frozen_mid_stream_breaks_the_transfer_within_the_stall_bound(served_on_private_cluster):
    cluster, server, key = served_on_private_cluster
    response = open_stream(server.port, key)
    assert response.status == 200
    assert response.read(65536)
    cluster.freeze()
    try:
        began = time.monotonic()
        with pytest.raises((http.client.IncompleteRead, ConnectionError)):
            response.read()
        seconds = time.monotonic() - began
    finally:
        cluster.thaw()
    assert seconds < STALL + 5
