"""``/healthz`` and ``/readyz`` (operations.md section 9) on the shipped gunicorn with two
workers: no key, no data; readyz 503 with a JSON reason when the database is not
migrated, not answering or gone, within its bounds, and never naming the database."""

from __future__ import annotations

import json
import time

import pytest

from tests.support.pgcluster import PostgresCluster
from tests.support.servers import Gunicorn, manage, migrate, service_env
from tests.support.waiting import wait_until

WORKERS = "2"


def probe(server: Gunicorn, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, dict]:
    status, response_headers, body = server.request("GET", path, headers, timeout=30)
    assert response_headers["Content-Type"] == "application/json"
    assert response_headers["Cache-Control"].startswith("max-age=0")
    return status, response_headers, json.loads(body)


def test_both_answer_200_with_no_key_on_a_migrated_database(tmp_path):
    env = service_env(tmp_path)
    migrate(env)
    with Gunicorn(env, WEB_CONCURRENCY=WORKERS) as server:
        for _ in range(4):  # whichever worker answers
            assert probe(server, "/healthz")[::2] == (200, {"status": "alive"})
            assert probe(server, "/readyz")[::2] == (200, {"status": "ready"})
        assert server.request("HEAD", "/readyz")[0] == 200
        assert server.request("POST", "/readyz")[0] == 405


def test_readyz_answers_503_naming_the_migrations_on_a_database_never_migrated(tmp_path):
    env = service_env(tmp_path)  # an empty SQLite file: no table at all
    with Gunicorn(env, WEB_CONCURRENCY=WORKERS) as server:
        status, _, body = probe(server, "/readyz")
        assert probe(server, "/healthz")[0] == 200
    assert status == 503
    assert body["status"] == "not ready"
    assert body["failed"] == "migrations"
    assert "run manage.py migrate" in body["error"]
    assert "access.0001_initial" in body["error"]


def test_readyz_answers_503_while_one_migration_is_not_applied(tmp_path):
    env = service_env(tmp_path)
    migrate(env)
    manage(env, "migrate", "privacy", "zero", "-v0")  # as a deploy that skipped `migrate` would leave it
    with Gunicorn(env, WEB_CONCURRENCY=WORKERS) as server:
        status, _, body = probe(server, "/readyz")
        assert (status, body["failed"]) == (503, "migrations")
        assert body["error"].startswith("1 migration(s) not applied (privacy.0001_")
        migrate(env)
        assert probe(server, "/readyz")[0] == 200  # no restart needed


def test_probes_are_not_redirected_to_https(tmp_path):
    """Behind the TLS proxy (HTTPS=true) a prober talks plain HTTP to gunicorn itself."""
    env = service_env(tmp_path, HTTPS="true", SECRET_KEY="x" * 50)
    migrate(env)
    with Gunicorn(env, WEB_CONCURRENCY=WORKERS) as server:
        assert server.request("GET", "/api/users")[0] == 301  # everything else is
        assert probe(server, "/healthz")[0] == 200
        assert probe(server, "/readyz")[0] == 200
        assert server.request("GET", "/metrics")[0] == 200


def wait_for(server: Gunicorn, path: str, status: int) -> dict:
    answers = []

    def answered() -> dict | None:
        answers.append(probe(server, path))
        got, _, body = answers[-1]
        return body if got == status else None

    return wait_until(answered, lambda: f"{path} never answered {status}: {answers[-1]}", every=0.2)


@pytest.mark.slow
@pytest.mark.postgresql
def test_readyz_follows_a_postgresql_server_that_stops_freezes_and_comes_back(tmp_path):
    """A private cluster (never the shared server): stopped, readyz is 503 at once;
    frozen (nothing answers, no server-side timeout fires), 503 within its bounds;
    back, 200 again. healthz stays 200 throughout; no reason names the database."""
    with PostgresCluster.create() as cluster:
        cluster.start()
        url = cluster.create_database("intarget")
        env = service_env(tmp_path, url, DATABASE_CONNECT_TIMEOUT="2")
        migrate(env)
        with Gunicorn(env, WEB_CONCURRENCY=WORKERS) as server:
            wait_for(server, "/readyz", 200)
            cluster.stop("fast")
            reasons = [wait_for(server, "/readyz", 503)]
            assert probe(server, "/healthz")[0] == 200

            cluster.start()
            wait_for(server, "/readyz", 200)
            cluster.freeze()
            latencies = []
            for _ in range(4):  # threads with a connection (cut by the probe's bound) and without (connect timeout)
                began = time.monotonic()
                status, _, body = probe(server, "/readyz")
                latencies.append(time.monotonic() - began)
                assert status == 503, body
                reasons.append(body)
            print(f"readyz on a frozen database: 503 after {', '.join(f'{s:.1f}' for s in latencies)} s")
            assert max(latencies) < 6, latencies
            assert probe(server, "/healthz")[0] == 200
            cluster.thaw()
            wait_for(server, "/readyz", 200)
    for body in reasons:
        assert body["failed"] == "database"
        assert body["error"].startswith("the database does not answer (OperationalError)")
        for secret in (str(cluster.port), "127.0.0.1", "intarget", "postgres", str(cluster.folder)):
            assert secret not in body["error"]
