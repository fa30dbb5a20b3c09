"""On SQLite, timestamps are written as their cell text by the database (``Kind.sqlite_text``,
issue 18 item 12): the same bytes as formatting them in Python, also with Django's query
logging on (``DEBUG``, as ``bin/demo`` runs), whatever ISO form a plain-SQL writer stored."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.api import get
from tests.support.factories import TransactionFactory, at

pytestmark = pytest.mark.django_db


def test_a_window_is_served_with_query_logging_on(client_with_key):
    TransactionFactory(id="t1", created_at=at("2020-10-10 06:00:00.999999"), updated_at=at("2020-10-10 07:59:59.999999"))
    with CaptureQueriesContext(connection) as queries:
        body = get(client_with_key, "transactions")
    assert b"2020-10-10 06:00:00" in body and b"2020-10-10 07:59:59," in body
    assert len(queries) > 0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps datetimes as text")
@pytest.mark.parametrize(
    "stored, served",
    [
        ("2020-10-10 07:30:00.123456", "2020-10-10 07:30:00"),
        ("2020-10-10T07:30:00", "2020-10-10 07:30:00"),
        ("2020-10-10 09:30:00+02:00", "2020-10-10 07:30:00"),
    ],
)
def test_a_created_at_written_by_plain_sql_in_any_iso_form_is_served_in_utc(client_with_key, stored, served):
    TransactionFactory(id="t1", updated_at=at("2020-10-10 07:10:00"))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE payments_transaction SET created_at = %s WHERE id = 't1'", [stored])
    lines = get(client_with_key, "transactions").decode().splitlines()
    assert served in lines[1]
