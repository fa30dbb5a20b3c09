"""A push that the database cannot take now (its table locked past DATABASE_LOCK_TIMEOUT)
is a 503 with Retry-After, not a 400: the body is fine, and a sender told its rows are bad
would drop them instead of sending them again. Nothing is written."""

from __future__ import annotations

import json
import sqlite3

import psycopg
import pytest
from django.db import connection

from tests.support.pgcluster import PrivateDatabase
from tests.support.servers import Gunicorn, manage, migrate, service_env

BODY = "id,player_id,amount,currency,dir,created_at\nt1,p1,1.50,EUR,IN,2020-10-10 07:00:00\n"


@pytest.fixture
def service(tmp_path):
    private = PrivateDatabase("push_busy") if connection.vendor == "postgresql" else None
    env = service_env(tmp_path, private.url if private else None)
    try:
        migrate(env)
        key = manage(env, "create_api_key", "backend", "--push").split()[-1]
        with Gunicorn(env, tmp_path / "gunicorn.log", DATABASE_LOCK_TIMEOUT="1") as server:
            yield server, key, private.url if private else tmp_path / "db.sqlite3"
    finally:
        if private:
            private.drop()


def holding_the_table(database):
    """A connection that holds the transactions table (PostgreSQL) or the write lock (SQLite)."""
    if isinstance(database, str):
        held = psycopg.connect(database)
        held.execute("LOCK TABLE payments_transaction IN ACCESS EXCLUSIVE MODE")
    else:
        held = sqlite3.connect(database, isolation_level=None)
        held.execute("BEGIN IMMEDIATE")
    return held


def count(database) -> int:
    if isinstance(database, str):
        with psycopg.connect(database) as db:
            return db.execute("SELECT count(*) FROM payments_transaction").fetchone()[0]
    with sqlite3.connect(database) as db:
        return db.execute("SELECT count(*) FROM payments_transaction").fetchone()[0]


def test_a_push_into_a_locked_table_is_503_with_retry_after_and_writes_nothing(service):
    server, key, database = service
    held = holding_the_table(database)
    try:
        status, headers, answer = server.request(
            "POST", "/api/transactions", {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}, BODY.encode()
        )
    finally:
        held.close()
    body = json.loads(answer)
    assert status == 503, body
    assert int(headers["Retry-After"]) > 0
    assert "line" not in body and "busy" in body["error"], body
    assert count(database) == 0
    # Once the lock is gone the same body is taken.
    status, _, answer = server.request(
        "POST", "/api/transactions", {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}, BODY.encode()
    )
    assert (status, json.loads(answer)) == (200, {"rows": 1})
    assert count(database) == 1
