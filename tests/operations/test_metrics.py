"""``GET /metrics`` (operations.md section 9): Prometheus text, only to METRICS_ALLOW's
clients, counting every feed answer (by feed and status; rows, bytes, stream durations)
and every wait for a window to become final, summed over every gunicorn worker.

Each server runs the shipped gunicorn.conf.py with two workers on a SQLite file of its
own, so the figures are exactly those of the requests made here.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from tests.support.factories import TransactionFactory, at, issue_key
from tests.support.servers import (
    ROOT,
    Gunicorn,
    database_url_of_tests,
    free_port,
    migrate,
    new_key,
    service_env,
    shared_database_env,
)
from tests.support.waiting import wait_until

# No database engine changes what this checks: it runs once, in the SQLite pass.
pytestmark = pytest.mark.engine_independent

WINDOW = "from=2020-10-10+07:00:00&to=2020-10-10+08:00:00"
ROWS = 3
WORKERS = "2"

Samples = dict[tuple[str, frozenset], float]


def scrape(server: Gunicorn, headers: dict[str, str] | None = None) -> tuple[int, str, Samples]:
    status, response_headers, body = server.request("GET", "/metrics", headers)
    text = body.decode()
    samples: Samples = {}
    if status == 200:
        assert response_headers["Content-Type"].startswith("text/plain; version=")
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return status, text, samples


def series(name: str, **labels: str) -> tuple[str, frozenset]:
    return name, frozenset(labels.items())


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get(series(name, **labels), 0.0)


def served(feed: str, status: int) -> tuple[str, frozenset]:
    return series("intarget_export_feed_requests_total", feed=feed, status=str(status))


def scrape_until(server: Gunicorn, expected: dict[tuple[str, frozenset], float]) -> Samples:
    """The metrics once they show ``expected``: an answer is counted when its worker closes
    it, a moment after the client has read its last byte, and on a loaded machine that
    moment can come late."""
    scraped = []

    def showing() -> Samples | None:
        scraped.append(scrape(server)[2])
        return scraped[-1] if all(scraped[-1].get(key, 0.0) == wanted for key, wanted in expected.items()) else None

    return wait_until(showing, lambda: {key: scraped[-1].get(key, 0.0) for key in expected}, every=0.1)


def load_transactions(db: Path, rows: int) -> None:
    with sqlite3.connect(db) as connection:
        connection.executemany(
            "INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at) "
            "VALUES (?, 'p1', '12.5', 'EUR', 'IN', '2020-10-10 07:00:00', ?)",
            ((f"t{n}", f"2020-10-10 07:{n:02d}:00") for n in range(rows)),
        )


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    env = service_env(tmp_path)
    migrate(env)
    load_transactions(tmp_path / "db.sqlite3", ROWS)
    return env


def test_feed_answers_are_counted_by_feed_and_status_across_workers(env, tmp_path):
    """Every answer counts once, whichever worker served it, workers that were since
    killed and replaced included; made-up feed names count as "unknown"."""
    key = new_key(env, "InTarget")
    scoped = new_key(env, "scoped", "--feeds", "transactions")
    folder = tmp_path / "metrics"
    requests = (
        [("transactions", WINDOW, key, 200)] * 12
        + [("transactions", WINDOW, None, 401)] * 3
        + [("transactions", WINDOW, "ie_not-a-key", 401)] * 2
        + [("users", WINDOW, scoped, 403)] * 2
        + [("transactions", "from=yesterday&to=2020-10-10+08:00:00", key, 400)]
        + [("no-such-feed", WINDOW, key, 404), ("other-made-up-name", WINDOW, None, 401)]
    )
    bodies: dict[str, int] = {}
    lock = threading.Lock()

    def pull(request: tuple) -> None:
        feed, query, secret, status = request
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        got, _, body = server.request("GET", f"/api/{feed}?{query}", headers)
        assert got == status, (request, body)
        label = feed if feed in ("transactions", "users") else "unknown"
        with lock:
            bodies[label] = bodies.get(label, 0) + len(body)

    # Eight clients of one key at once: lift its stream cap, which is not what is tested here.
    with Gunicorn(
        env, tmp_path / "gunicorn.log", WEB_CONCURRENCY=WORKERS, PROMETHEUS_MULTIPROC_DIR=str(folder),
        API_MAX_STREAMS="100",
    ) as server:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(pull, requests))
        first_workers = set(server.worker_pids())  # forked by now (gunicorn listens before it forks)
        # Every answer counted (a worker counts one just after its client read it) before
        # its worker is killed.
        once = {
            served("transactions", 200): 12, served("transactions", 401): 5, served("transactions", 400): 1,
            served("users", 403): 2, served("unknown", 404): 1, served("unknown", 401): 1,
        }
        assert sum(once.values()) == len(requests)
        scrape_until(server, once)
        # Kill every worker: gunicorn starts new ones, and what the dead ones counted stays.
        for pid in first_workers:
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: len(set(server.worker_pids()) - first_workers) >= int(WORKERS),
                   "gunicorn did not start new workers", every=0.1)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(pull, requests))
        samples = scrape_until(server, {label: 2 * count for label, count in once.items()})
        second_workers = set(server.worker_pids())
        processes = {int(path.stem.split("_")[-1]) for path in folder.glob("counter_*.db")}

    # Summed over processes: dead workers' files (the first round) and live ones' (the second).
    assert second_workers.isdisjoint(first_workers) and len(second_workers) == int(WORKERS)
    assert processes & first_workers and processes & second_workers
    requests_total = "intarget_export_feed_requests_total"
    assert value(samples, requests_total, feed="transactions", status="200") == 24
    assert value(samples, requests_total, feed="transactions", status="401") == 10
    assert value(samples, requests_total, feed="transactions", status="400") == 2
    assert value(samples, requests_total, feed="users", status="403") == 4
    assert value(samples, requests_total, feed="unknown", status="404") == 2
    assert value(samples, requests_total, feed="unknown", status="401") == 2
    assert sum(v for (name, _), v in samples.items() if name == requests_total) == 2 * len(requests)
    assert value(samples, "intarget_export_feed_rows_total", feed="transactions") == 24 * ROWS
    assert value(samples, "intarget_export_feed_rows_total", feed="users") == 0
    for feed, size in bodies.items():
        assert value(samples, "intarget_export_feed_bytes_total", feed=feed) == size
    assert value(samples, "intarget_export_feed_stream_seconds_count", feed="transactions") == 24
    assert value(samples, "intarget_export_feed_stream_seconds_bucket", feed="transactions", le="+Inf") == 24
    assert 0 < value(samples, "intarget_export_feed_stream_seconds_sum", feed="transactions") < 24 * 5
    assert value(samples, "intarget_export_feed_stream_seconds_count", feed="users") == 0  # no 200 there
    assert value(samples, "intarget_export_feed_incomplete_total", feed="transactions") == 0


def test_a_new_gunicorn_run_starts_from_zero(env, tmp_path):
    """The folder is emptied when gunicorn starts: an earlier run's counts are not added."""
    key = new_key(env)
    folder = str(tmp_path / "metrics")
    for _ in range(2):
        with Gunicorn(env, WEB_CONCURRENCY=WORKERS, PROMETHEUS_MULTIPROC_DIR=folder) as server:
            assert server.get(f"/api/transactions?{WINDOW}", key)[0] == 200
            samples = scrape_until(server, {served("transactions", 200): 1})
            assert value(samples, "intarget_export_feed_requests_total", feed="transactions", status="200") == 1


def test_a_scrape_while_a_worker_starts_its_file_is_answered(env, tmp_path):
    """A starting worker creates its file empty, then sizes it: a scrape in between once
    answered 500 (prometheus-client's reader needs the file's header)."""
    key = new_key(env)
    folder = tmp_path / "metrics"
    with Gunicorn(env, WEB_CONCURRENCY=WORKERS, PROMETHEUS_MULTIPROC_DIR=str(folder)) as server:
        assert server.get(f"/api/transactions?{WINDOW}", key)[0] == 200
        (folder / "counter_999999.db").touch()  # as a worker leaves it for a moment
        samples = scrape_until(server, {served("transactions", 200): 1})
    assert value(samples, "intarget_export_feed_rows_total", feed="transactions") == ROWS


def test_metrics_are_answered_only_to_clients_in_metrics_allow(env, tmp_path):
    """The client address is the one of section 6: through a trusted proxy, the
    X-Forwarded-For hop; outside METRICS_ALLOW, 403 JSON."""
    with Gunicorn(
        env, WEB_CONCURRENCY=WORKERS, TRUSTED_PROXIES="127.0.0.1/32", METRICS_ALLOW="10.0.0.0/8,2001:db8::/32"
    ) as server:
        for client in ("203.0.113.9", "2001:db9::1", None):  # None: the peer, 127.0.0.1
            status, headers, body = server.request("GET", "/metrics", {"X-Forwarded-For": client} if client else {})
            assert status == 403, client
            assert headers["Content-Type"] == "application/json"
            assert "METRICS_ALLOW" in body.decode()
            assert b"intarget_export_" not in body
        for client in ("10.1.2.3", "2001:db8::7"):
            status, _, body = server.request("GET", "/metrics", {"X-Forwarded-For": client})
            assert status == 200, client
            assert b'intarget_export_feed_rows_total{feed="users"} 0.0' in body


def test_metrics_are_refused_through_a_proxy_not_in_trusted_proxies(env, tmp_path):
    """nginx on the same host with TRUSTED_PROXIES left empty: every client would look
    like 127.0.0.1, which METRICS_ALLOW allows by default; refused instead."""
    with Gunicorn(env, WEB_CONCURRENCY=WORKERS) as server:
        status, _, body = server.request("GET", "/metrics", {"X-Forwarded-For": "203.0.113.9"})
        assert status == 403
        assert "TRUSTED_PROXIES" in json.loads(body)["error"]
        assert server.request("GET", "/metrics")[0] == 200


def test_metrics_answer_the_local_host_by_default_and_only_get(env, tmp_path):
    with Gunicorn(env, WEB_CONCURRENCY=WORKERS) as server:
        status, headers, body = server.request("GET", "/metrics")
        assert status == 200
        assert headers["Cache-Control"].startswith("max-age=0")
        # Every feed's and outcome's series, at 0 before anything happened.
        for feed in ("users", "contacts", "transactions", "logins", "wallets", "games", "tournaments",
                     "sport-events", "bets", "bet-selections", "unknown"):
            assert f'intarget_export_feed_bytes_total{{feed="{feed}"}} 0.0'.encode() in body
            assert f'intarget_export_feed_stream_seconds_count{{feed="{feed}"}} 0.0'.encode() in body
        for outcome in ("final", "gave_up", "no_slot"):
            assert f'intarget_export_finality_waits_total{{outcome="{outcome}"}} 0.0'.encode() in body
        assert server.request("POST", "/metrics")[0] == 405


@pytest.mark.parametrize("value", ["10.0.0.0/33", "localhost", "10.0.0.0/8,,nonsense"])
def test_a_bad_metrics_allow_stops_the_service_at_startup(tmp_path, value):
    env = service_env(tmp_path, METRICS_ALLOW=value)
    check = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert check.returncode != 0
    assert "METRICS_ALLOW must be comma-separated networks" in check.stderr
    if value == "localhost":
        # gunicorn itself: its workers fail to boot, and the master exits with the message.
        bind = f"127.0.0.1:{free_port()}"
        run = subprocess.run(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "intarget_export.wsgi:application"],
            cwd=ROOT, env={**env, "BIND": bind, "WEB_CONCURRENCY": WORKERS}, capture_output=True, text=True, timeout=60,
        )
        assert run.returncode != 0
        assert "METRICS_ALLOW must be comma-separated networks" in run.stdout + run.stderr


def test_no_key_and_no_secret_appear_in_the_metrics(env, tmp_path):
    key = new_key(env, "InTarget production")
    basic = base64.b64encode(f"intarget:{key}".encode()).decode()
    wrong = key[:-4] + "abcd"
    with Gunicorn(env, WEB_CONCURRENCY=WORKERS) as server:
        for headers in (
            {"Authorization": f"Bearer {key}"},
            {"Authorization": f"Basic {basic}"},
            {"X-Api-Key": key},
            {"Authorization": f"Bearer {wrong}"},
        ):
            server.request("GET", f"/api/transactions?{WINDOW}", headers)
        server.request("GET", f"/api/{key}?{WINDOW}", {"X-Api-Key": key})  # a key as the feed name
        samples = scrape_until(
            server, {served("transactions", 200): 3, served("transactions", 401): 1, served("unknown", 404): 1}
        )
        _, text, _ = scrape(server)
    assert value(samples, "intarget_export_feed_requests_total", feed="transactions", status="401") == 1
    assert value(samples, "intarget_export_feed_requests_total", feed="unknown", status="404") == 1
    secret_key = (tmp_path / "secret_key").read_text().strip()
    # key[-43:]: the secret part (token_urlsafe(32)); split("_") is no way to find it, as
    # base64url text holds "_" too (once it gave "w", found in "how").
    for secret in (key, key[-43:], wrong, basic, secret_key, "InTarget production"):
        assert secret not in text


def hold_write_lock(db: Path, seconds: float) -> threading.Thread:
    """Another writer holds SQLite's write lock for ``seconds`` (from now)."""
    held = threading.Event()

    def hold() -> None:
        connection = sqlite3.connect(db, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    return thread


def warm_up(server: Gunicorn, key: str) -> None:
    """Every worker booted and serving, before a test holds the write lock: a worker's
    first request takes a second or more, and a lock held that long would be gone.
    (Some may be refused by the key's stream cap: they warm up all the same.)"""
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: server.get(f"/api/transactions?{WINDOW}", key), range(16)))


def test_finality_waits_are_counted_with_their_durations(env, tmp_path):
    """A writer in flight makes the request wait: until it is done ("final"), or until
    FINALITY_MAX_WAIT ("gave_up", 503)."""
    key = new_key(env)
    db = tmp_path / "db.sqlite3"
    with Gunicorn(env, WEB_CONCURRENCY=WORKERS, FINALITY_MAX_WAIT="3") as server:
        warm_up(server, key)
        writer = hold_write_lock(db, 1)
        assert server.get(f"/api/transactions?{WINDOW}", key)[0] == 200
        writer.join()
        writer = hold_write_lock(db, 5)
        status, headers, _ = server.get(f"/api/transactions?{WINDOW}", key)
        writer.join()
        assert status == 503 and headers["Retry-After"]
        samples = scrape_until(server, {series("intarget_export_finality_waits_total", outcome="gave_up"): 1})
    assert value(samples, "intarget_export_finality_waits_total", outcome="final") == 1
    assert value(samples, "intarget_export_finality_waits_total", outcome="gave_up") == 1
    assert value(samples, "intarget_export_finality_waits_total", outcome="no_slot") == 0
    assert value(samples, "intarget_export_finality_wait_seconds_count", outcome="final") == 1
    # Held 1 s from just before the request, less the time to reach the wait, plus
    # SQLite's busy-wait steps (up to 100 ms) and a loaded machine's scheduling.
    assert 0.2 < value(samples, "intarget_export_finality_wait_seconds_sum", outcome="final") < 1.5
    assert value(samples, "intarget_export_finality_wait_seconds_bucket", outcome="final", le="2.5") == 1
    assert value(samples, "intarget_export_finality_wait_seconds_bucket", outcome="final", le="0.1") == 0
    # FINALITY_MAX_WAIT, 3 s.
    assert 2.9 < value(samples, "intarget_export_finality_wait_seconds_sum", outcome="gave_up") < 4.5
    assert value(samples, "intarget_export_finality_wait_seconds_bucket", outcome="gave_up", le="2.5") == 0
    assert value(samples, "intarget_export_finality_wait_seconds_bucket", outcome="gave_up", le="5.0") == 1


def test_a_request_with_no_waiting_slot_is_counted_as_such(env, tmp_path):
    key = new_key(env)
    with Gunicorn(env, WEB_CONCURRENCY=WORKERS, FINALITY_MAX_WAITERS="0") as server:
        warm_up(server, key)
        writer = hold_write_lock(tmp_path / "db.sqlite3", 2)
        assert server.get(f"/api/transactions?{WINDOW}", key)[0] == 503
        writer.join()
        samples = scrape_until(server, {series("intarget_export_finality_waits_total", outcome="no_slot"): 1})
    assert value(samples, "intarget_export_finality_waits_total", outcome="no_slot") == 1
    assert value(samples, "intarget_export_finality_wait_seconds_count", outcome="no_slot") == 0


@pytest.mark.django_db
def test_in_a_single_process_the_metrics_count_in_memory():
    """No PROMETHEUS_MULTIPROC_DIR (manage.py runserver, this test process): the same
    metrics, kept in the process's memory."""
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    TransactionFactory(id="t1", updated_at=at("2020-10-10 07:10:00"))
    _, secret = issue_key()
    client = APIClient()

    def served() -> float:
        samples = {}
        for family in text_string_to_metric_families(client.get("/metrics").content.decode()):
            for sample in family.samples:
                samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return value(samples, "intarget_export_feed_rows_total", feed="transactions")

    before = served()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.get("/api/transactions", {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"})
    b"".join(response.streaming_content)  # read to its end: the test client then closes it
    assert served() == before + 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_waits_for_an_open_writer_are_counted(tmp_path):
    """PostgreSQL's wait (polling for writers that began before ``to``): a writer that
    commits in time ("final"), and one that stays open past FINALITY_MAX_WAIT ("gave_up")."""
    env = shared_database_env(tmp_path, FINALITY_MAX_WAIT="2")
    key = new_key(env)

    def pull_while_writing(hold: float) -> tuple[int, float]:
        with psycopg.connect(database_url_of_tests()) as writer:
            writer.execute(
                "INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at) "
                "VALUES ('in-flight', 'p1', '1', 'EUR', 'IN', now(), now())"
            )
            began = writer.execute("SELECT xact_start FROM pg_stat_activity WHERE pid = pg_backend_pid()").fetchone()[0]
            end = began.replace(microsecond=0) + dt.timedelta(seconds=1)  # after the writer began
            time.sleep(max(0.0, (end - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 0.3)  # and ended
            window = f"from={end - dt.timedelta(hours=1):%Y-%m-%d+%H:%M:%S}&to={end:%Y-%m-%d+%H:%M:%S}"
            with ThreadPoolExecutor(1) as pool:
                started = time.monotonic()
                answer = pool.submit(server.get, f"/api/transactions?{window}", key)
                time.sleep(hold)
                writer.rollback()
                status = answer.result()[0]
                return status, time.monotonic() - started

    with Gunicorn(env, WEB_CONCURRENCY=WORKERS) as server:
        warm_up(server, key)
        assert pull_while_writing(1)[0] == 200
        assert pull_while_writing(3.5)[0] == 503
        samples = scrape_until(server, {series("intarget_export_finality_waits_total", outcome="gave_up"): 1})
    assert value(samples, "intarget_export_finality_waits_total", outcome="final") == 1
    assert value(samples, "intarget_export_finality_waits_total", outcome="gave_up") == 1
    assert 0.3 < value(samples, "intarget_export_finality_wait_seconds_sum", outcome="final") < 2
    assert 1.9 < value(samples, "intarget_export_finality_wait_seconds_sum", outcome="gave_up") < 3.5
