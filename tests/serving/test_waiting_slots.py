"""A request that finds a window's writers open waits only in one of FINALITY_MAX_WAITERS
slots of its process; without a free slot it answers the waiting's 503 at once, so that
waiting requests never take every thread (serving/waiting.py, serving/finality.py)."""

import time

import pytest

from tests.serving.test_no_row_lost import INSERT_TRANSACTION, wait_for_database_clock, window_until
from tests.support.api import response_ids as csv_ids
from tests.support.pg import Background, database_now, next_whole_second, raw_connection

postgresql = pytest.mark.postgresql


def open_writer_across_an_edge(other):  # type: ignore[no-untyped-def]
    """A transaction that stamped a row and stays open past the next whole second."""
    other.execute(INSERT_TRANSACTION, ["in-flight"])
    end = next_whole_second(database_now())
    wait_for_database_clock(end)
    return window_until(end)


def timed(client, window):  # type: ignore[no-untyped-def]
    began = time.monotonic()
    response = client.get("/api/transactions", window)
    return response, time.monotonic() - began


@postgresql
@pytest.mark.django_db(transaction=True)
def test_with_no_waiting_slot_free_a_held_window_answers_503_at_once(client_with_key, settings):
    settings.FINALITY_MAX_WAITERS = 0
    settings.FINALITY_RETRY_AFTER = 7
    with raw_connection() as other:
        window = open_writer_across_an_edge(other)
        response, seconds = timed(client_with_key, window)
        other.commit()
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert "may still be in flight" in response.json()["error"]
    assert seconds < 1  # not FINALITY_MAX_WAIT (10 s)
    assert csv_ids(client_with_key.get("/api/transactions", window)) == ["in-flight"]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_one_request_waits_in_the_only_slot_and_is_served_the_others_are_refused_at_once(client_with_key, settings):
    settings.FINALITY_MAX_WAITERS = 1
    with raw_connection() as other:
        window = open_writer_across_an_edge(other)
        waiter = Background(lambda: client_with_key.get("/api/transactions", window))
        waiter.start()
        time.sleep(0.5)
        assert waiter.is_alive(), "the first request waits for the writer"
        refused = Background(lambda: timed(client_with_key, window))
        refused.start()
        response, seconds = refused.result(timeout=5)
        other.commit()
    assert response.status_code == 503 and seconds < 1
    # The waiter was never given a window without the writer's row.
    assert csv_ids(waiter.result()) == ["in-flight"]


@pytest.mark.django_db
def test_a_window_with_no_writer_needs_no_slot(client_with_key, settings):
    settings.FINALITY_MAX_WAITERS = 0
    assert client_with_key.get("/api/transactions", {"from": "2020-10-10 00:00:00", "to": "2020-10-11 00:00:00"}).status_code == 200
