"""Every status a feed answers is in the document, with the body and headers it has.

operations.md 9: 200 for text/csv and application/json; 400, 401, 403, 425, 429 and 503
with the JSON error body, and 507 (an HTTP/1.0 answer past SPOOL_MAX_BYTES). The live answers below are validated against the document's
own schema for their status, so the document cannot describe an error shape the API
does not send.
"""

import datetime as dt

import jsonschema
import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.support.api import WINDOW
from tests.support.factories import issue_key

pytestmark = pytest.mark.django_db

ERRORS = ["400", "401", "403", "425", "429", "503", "507"]


@pytest.fixture
def doc() -> dict:
    return Client().get("/api/schema").json()


def documented(doc: dict, feed: str, status: int) -> dict:
    return doc["paths"][f"/api/{feed}"]["get"]["responses"][str(status)]


def assert_as_documented(doc: dict, feed: str, response) -> None:
    answer = documented(doc, feed, response.status_code)
    media_type = response["Content-Type"].split(";")[0]
    assert list(answer["content"]) == [media_type]
    schema = {**answer["content"][media_type]["schema"], "components": doc["components"]}
    jsonschema.validate(response.json(), schema)
    for name, header in answer.get("headers", {}).items():
        if header.get("required"):
            assert name in response, (response.status_code, name)


def test_every_feed_documents_its_200_in_both_formats_and_every_error(doc):
    for path, item in doc["paths"].items():
        if "get" not in item or path.endswith("/digest"):
            continue  # game-actions is only pushed (test_openapi_push.py); digests: test_openapi_digest.py
        responses = item["get"]["responses"]
        assert list(responses) == ["200", *ERRORS], path
        assert list(responses["200"]["content"]) == ["text/csv", "application/json"]
        for status in ERRORS:
            assert responses[status]["content"] == {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
            }, (path, status)
            assert responses[status]["description"]


def test_waits_say_how_long_and_a_401_carries_its_challenge(doc):
    for status in ("425", "429", "503"):
        assert documented(doc, "bets", status)["headers"]["Retry-After"]["required"] is True
    assert documented(doc, "bets", 401)["headers"]["WWW-Authenticate"]["required"] is True
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]


def test_a_400_naming_its_parameter_is_as_documented(doc, client_with_key):
    response = client_with_key.get("/api/users", {"from": "yesterday", "to": WINDOW["to"]})
    assert response.status_code == 400 and response.json()["param"] == "from"
    assert_as_documented(doc, "users", response)


def test_a_401_is_as_documented(doc):
    response = APIClient().get("/api/users", WINDOW)
    assert response.status_code == 401
    assert_as_documented(doc, "users", response)


def test_a_403_of_the_key_rules_is_as_documented(doc):
    _, secret = issue_key("contacts only", feeds=["contacts"])
    response = APIClient().get("/api/users", WINDOW, HTTP_X_API_KEY=secret)
    assert response.status_code == 403
    assert_as_documented(doc, "users", response)


def test_a_425_for_a_window_ending_in_the_future_is_as_documented(doc, client_with_key):
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    response = client_with_key.get("/api/logins", {"from": WINDOW["from"], "to": soon.strftime("%Y-%m-%d %H:%M:%S")})
    assert response.status_code == 425
    assert_as_documented(doc, "logins", response)


@override_settings(API_RATE_LIMIT="1/min")
def test_a_429_of_the_rate_limit_is_as_documented(doc, client_with_key):
    assert client_with_key.get("/api/wallets", WINDOW).status_code == 200
    response = client_with_key.get("/api/wallets", WINDOW)
    assert response.status_code == 429
    assert_as_documented(doc, "wallets", response)


@override_settings(SPOOL_MAX_BYTES=10)
def test_a_507_of_the_spool_limit_is_as_documented(doc, client_with_key):
    response = client_with_key.get("/api/wallets", WINDOW, SERVER_PROTOCOL="HTTP/1.0")
    assert response.status_code == 507
    assert_as_documented(doc, "wallets", response)


def test_a_200_documents_its_optional_content_encoding(doc):
    for path in doc["paths"]:
        if "get" not in doc["paths"][path] or path.endswith("/digest"):
            continue  # game-actions is only pushed, and a push answer, like a digest's, is never compressed
        header = doc["paths"][path]["get"]["responses"]["200"]["headers"]["Content-Encoding"]
        assert header["schema"]["enum"] == ["gzip", "zstd"], path
        assert not header.get("required")
