"""Limits per key (operations.md section 7): requests per period, responses at once.

Counted in the shared cache, so these in-process tests already go through the
database-backed counting that every worker shares; tests/access/test_limits_across_workers.py
checks the same against a real gunicorn with several workers.
"""

import threading

import pytest
import time_machine
from django.core.cache import cache
from django.core.signals import request_finished
from django.db import close_old_connections
from rest_framework.test import APIClient

from access.limits import admit_request, rate_limit
from tests.support.factories import at, issue_key

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}


def client(secret: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api


def pull(secret: str, feed: str = "users"):
    response = client(secret).get(f"/api/{feed}", WINDOW)
    if response.streaming:
        b"".join(response.streaming_content)  # sent to its end, as a server would
    return response


def assert_429(response, words: str):
    assert response.status_code == 429, response.content
    assert response["Content-Type"].startswith("application/json")
    assert int(response["Retry-After"]) >= 1
    assert words in response.json()["error"]


# --- API_RATE_LIMIT ------------------------------------------------------------------


def test_requests_over_the_rate_answer_429_with_retry_after_until_one_would_be_admitted(settings):
    settings.API_RATE_LIMIT = "3/min"
    _, secret = issue_key()
    with time_machine.travel(at("2026-12-01 10:00:15"), tick=False):
        assert [pull(secret).status_code for _ in range(3)] == [200, 200, 200]
        refused = pull(secret)
        assert_429(refused, "3 requests per min")
        assert refused["Retry-After"] == "60"
        assert refused.json()["error"].endswith("(API_RATE_LIMIT). Expected available in 60 seconds.")
    with time_machine.travel(at("2026-12-01 10:01:14"), tick=False):
        assert pull(secret).status_code == 429  # refused requests are not counted...
    with time_machine.travel(at("2026-12-01 10:01:15"), tick=False):
        assert pull(secret).status_code == 200  # ...so the key is admitted once the first three are a minute old


def test_the_period_slides_so_a_burst_across_its_start_is_not_admitted_twice(settings):
    """A fixed minute would admit 3 at 10:00:50 and 3 more at 10:01:05."""
    settings.API_RATE_LIMIT = "3/min"
    _, secret = issue_key()
    with time_machine.travel(at("2026-12-01 10:00:50"), tick=False):
        assert [pull(secret).status_code for _ in range(2)] == [200, 200]
    with time_machine.travel(at("2026-12-01 10:01:05"), tick=False):
        assert [pull(secret).status_code for _ in range(2)] == [200, 429]
        assert pull(secret)["Retry-After"] == "45"  # when the two of 10:00:50 are a minute old


def test_the_rate_is_counted_per_key(settings):
    settings.API_RATE_LIMIT = "2/hour"
    _, first = issue_key("first")
    _, second = issue_key("second")
    with time_machine.travel(at("2026-12-01 10:30:00"), tick=False):
        assert [pull(first).status_code for _ in range(3)] == [200, 200, 429]
        assert pull(first)["Retry-After"] == "3600"
        assert pull(second).status_code == 200


def test_refused_and_failed_requests_count_too(settings):
    """Every request of the key counts, whatever its answer: a 400 costs the server too."""
    settings.API_RATE_LIMIT = "2/s"
    _, secret = issue_key()
    with time_machine.travel(at("2026-12-01 10:00:00"), tick=False):
        assert client(secret).get("/api/users", {"from": "nonsense"}).status_code == 400
        assert pull(secret).status_code == 200
        assert pull(secret).status_code == 429


def test_a_request_without_a_valid_key_is_not_counted_against_any_key(settings):
    settings.API_RATE_LIMIT = "1/min"
    _, secret = issue_key()
    with time_machine.travel(at("2026-12-01 10:00:00"), tick=False):
        for _ in range(3):
            assert client(secret + "x").get("/api/users", WINDOW).status_code == 401
        assert pull(secret).status_code == 200


@pytest.mark.parametrize("value, count, seconds", [("600/min", 600, 60), ("5/s", 5, 1), ("10000/hour", 10000, 3600)])
def test_the_rate_forms(settings, value, count, seconds):
    settings.API_RATE_LIMIT = value
    assert (rate_limit().count, rate_limit().seconds) == (count, seconds)


# PostgreSQL only: SQLite's in-memory test database is shared-cache, where locks fail at
# once instead of waiting. On a SQLite file, the count across gunicorn workers is checked
# by tests/access/test_limits_across_workers.py.
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_are_counted_exactly(settings):
    """The shared cache counts atomically: 6 threads (6 database connections) making 150
    requests against a rate of 100 get exactly 100 admitted."""
    settings.API_RATE_LIMIT = "100/hour"
    key, _ = issue_key()
    counts: list[int | None] = []
    lock = threading.Lock()

    def worker() -> None:
        from django.db import connection

        try:
            for _ in range(25):
                wait = admit_request(key, 1_000_000.0)
                with lock:
                    counts.append(wait)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(counts) == 150
    assert counts.count(None) == 100


# --- API_MAX_STREAMS -----------------------------------------------------------------


def test_one_response_more_than_the_streams_allowed_answers_429_at_once(settings):
    settings.API_MAX_STREAMS = 2
    _, secret = issue_key()
    _, other = issue_key("other")
    held = [client(secret).get("/api/users", WINDOW) for _ in range(2)]  # not yet sent
    assert all(response.status_code == 200 for response in held)
    assert_429(pull(secret), "2 responses in progress")
    assert pull(other).status_code == 200  # another key has its own slots
    b"".join(held[0].streaming_content)  # the first answer is sent to its end
    assert pull(secret).status_code == 200


def test_a_response_closed_before_its_end_gives_its_slot_back(settings):
    settings.API_MAX_STREAMS = 1
    _, secret = issue_key()
    held = client(secret).get("/api/users", WINDOW)
    assert pull(secret).status_code == 429
    # What the server does when the client goes away. As Django's test client does, keep
    # the test's database connection open through the request_finished signal.
    request_finished.disconnect(close_old_connections)
    try:
        held.close()
    finally:
        request_finished.connect(close_old_connections)
    assert pull(secret).status_code == 200


def test_error_answers_give_their_slot_back_at_once(settings):
    settings.API_MAX_STREAMS = 1
    _, secret = issue_key()
    for _ in range(3):
        assert client(secret).get("/api/users", {"from": "nonsense"}).status_code == 400
        assert client(secret).get("/api/users", {"from": "2999-01-01 00:00:00", "to": "2999-01-01 01:00:00"}).status_code == 425
    assert pull(secret).status_code == 200


def test_a_slot_of_a_dead_process_expires(settings):
    """A worker killed mid-stream never gives its slot back; the lease runs out."""
    from access.leases import LEASE_SECONDS, acquire

    settings.API_MAX_STREAMS = 1
    key, secret = issue_key()
    with time_machine.travel(at("2026-12-01 10:00:00"), tick=False):
        assert acquire(f"access:streams:{key.pk}", 1) is not None  # taken, never released
        assert pull(secret).status_code == 429
    with time_machine.travel(at("2026-12-01 10:00:00") + __import__("datetime").timedelta(seconds=LEASE_SECONDS + 1)):
        assert pull(secret).status_code == 200
    cache.clear()
