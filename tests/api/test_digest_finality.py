"""A digest answers only a final window, as the feed does (assurance.md section 14): 425
with Retry-After for a window that ends in the future; 503 with Retry-After while a
writer that began before ``to`` is still open; then the digest counts its rows."""

import datetime as dt
import time

import pytest
from django.db import connection

from tests.support.factories import TransactionFactory
from tests.support.pg import database_now, next_whole_second, raw_connection

pytestmark = pytest.mark.django_db


def test_a_window_ending_in_the_future_is_a_425_saying_how_long_to_wait(client_with_key):
    soon = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(hours=1)
    response = client_with_key.get(
        "/api/transactions/digest", {"from": "2020-10-10 07:00:00", "to": f"{soon:%Y-%m-%d %H:%M:%S}", "step": "1d"}
    )
    assert response.status_code == 425
    assert response["Content-Type"] == "application/json"
    assert 3500 <= int(response["Retry-After"]) <= 3600
    assert "in the future" in response.json()["error"]


INSERT = """
INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at)
VALUES (%s, 'p1', 10, 'EUR', 'IN', now(), '2000-01-01')
"""


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_an_open_writer_is_a_503_with_retry_after_then_the_digest_counts_its_row(client_with_key, settings):
    settings.FINALITY_MAX_WAIT = 0.3
    settings.FINALITY_RETRY_AFTER = 7
    TransactionFactory(id="committed", updated_at=database_now())
    with raw_connection() as other:
        other.execute(INSERT, ["in-flight"])  # stamped now, not committed
        end = next_whole_second(database_now())
        while database_now() < end:
            time.sleep(0.02)
        window = {"from": f"{end - dt.timedelta(hours=1):%Y-%m-%d %H:%M:%S}", "to": f"{end:%Y-%m-%d %H:%M:%S}"}
        response = client_with_key.get("/api/transactions/digest", window)
        other.commit()
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert "may still be in flight" in response.json()["error"]
    assert client_with_key.get("/api/transactions/digest", window).json()["rows"] == 2
    assert connection.vendor == "postgresql"
