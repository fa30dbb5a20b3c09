"""Which format a feed answers in (api/negotiation.py): the rules the other modules do not
pin already (``?format=`` and ``Accept``: tests/feeds/test_window_contract.py; a push's
415s: tests/api/test_push.py)."""

import pytest

from tests.support.api import WINDOW

pytestmark = pytest.mark.django_db


def test_an_accept_neither_format_satisfies_is_a_406_in_json(client_with_key):
    response = client_with_key.get("/api/transactions", WINDOW, HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert set(response.json()) == {"error"}


def test_format_json_overrides_an_accept_of_csv(client_with_key):
    response = client_with_key.get("/api/transactions", {**WINDOW, "format": "JSON"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert b"".join(response.streaming_content) == b"[]"


def test_an_empty_format_counts_as_absent(client_with_key):
    response = client_with_key.get("/api/transactions", {**WINDOW, "format": ""})
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_an_unknown_money_is_refused_by_name_in_csv_too(client_with_key):
    response = client_with_key.get("/api/transactions", {**WINDOW, "format": "csv", "money": "euros"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["param"] == "money"


def test_an_error_is_json_when_csv_was_negotiated(client_with_key):
    response = client_with_key.get("/api/transactions", {"from": "yesterday", "to": "2020-10-10 08:00:00", "format": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["param"] == "from"


def test_a_push_is_answered_in_json_whatever_accept_says(client):
    # No key: the refusal comes after negotiation, in the format it chose.
    response = client.post("/api/users", b"id\n", content_type="text/csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
