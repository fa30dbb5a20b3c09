"""Every feed's digest is in the OpenAPI document (assurance.md section 14): its path,
``from``/``to`` as the feed takes them and ``step``, its JSON answer and its errors; the
live answers are validated against the document's own schema for their status."""

import datetime as dt

import jsonschema
import pytest
from django.test import Client, override_settings
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.support.api import WINDOW
from tests.support.factories import TransactionFactory, at, issue_key

pytestmark = pytest.mark.django_db

FEEDS = [
    "users", "contacts", "logins", "transactions", "wallets", "games", "tournaments", "sport-events", "bets",
    "bet-selections",
]
ERRORS = ["400", "401", "403", "425", "429", "503"]


@pytest.fixture
def doc() -> dict:
    document = Client().get("/api/schema").json()
    validate_schema(document)
    return document


def operation(doc: dict, feed: str) -> dict:
    return doc["paths"][f"/api/{feed}/digest"]["get"]


def json_schema(node):
    """OpenAPI 3.0's ``nullable`` as JSON Schema says it (jsonschema ignores the keyword)."""
    if isinstance(node, dict):
        node = {key: json_schema(value) for key, value in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        return node
    return [json_schema(item) for item in node] if isinstance(node, list) else node


def assert_as_documented(doc: dict, feed: str, response) -> None:
    answer = operation(doc, feed)["responses"][str(response.status_code)]
    assert list(answer["content"]) == ["application/json"] == [response["Content-Type"]]
    schema = json_schema({**answer["content"]["application/json"]["schema"], "components": doc["components"]})
    jsonschema.validate(response.json(), schema)
    for name, header in answer.get("headers", {}).items():
        if header.get("required"):
            assert name in response, (response.status_code, name)


def test_every_served_feed_has_a_digest_with_its_parameters_answer_and_errors(doc):
    for feed in FEEDS:
        get = operation(doc, feed)
        assert get["operationId"] == "digest_" + feed.replace("-", "_")
        assert get["tags"] == ["digests"]
        assert [(p["name"], p["in"], p.get("required", False)) for p in get["parameters"]] == [
            ("from", "query", feed not in ("tournaments", "sport-events")),
            ("to", "query", feed not in ("tournaments", "sport-events")),
            ("step", "query", False),
        ]
        assert list(get["responses"]) == ["200", *ERRORS]
        assert get["responses"]["200"]["content"] == {
            "application/json": {"schema": {"$ref": "#/components/schemas/Digest"}}
        }
        for status in ERRORS:
            assert get["responses"][status]["content"] == {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
            }
        assert get["security"] == [{"bearer": []}, {"basic": []}, {"apiKey": []}]
    assert "`session_id`, `updated_at`, `bet_count`, `win_count`" in operation(doc, "games")["description"]
    assert "`player_id`, `modified_at`" in operation(doc, "contacts")["description"]
    assert "game-actions" not in {path.split("/")[2] for path in doc["paths"] if path.endswith("/digest")}


def test_the_digest_schema_is_the_contracts_shape(doc):
    digest = doc["components"]["schemas"]["Digest"]
    assert list(digest["properties"]) == ["feed", "from", "to", "rows", "checksum", "parts"]
    assert digest["required"] == ["feed", "from", "to", "rows", "checksum"]
    assert digest["properties"]["checksum"]["pattern"] == "^[0-9a-f]{16}$"
    part = doc["components"]["schemas"]["DigestPart"]
    assert part["required"] == ["from", "to", "rows", "checksum"]


def test_answers_with_and_without_step_are_as_documented(doc, client_with_key):
    TransactionFactory(updated_at=at("2020-10-10 07:30:00"))
    for params in (WINDOW, {**WINDOW, "step": "10m"}):
        response = client_with_key.get("/api/transactions/digest", params)
        assert response.status_code == 200
        assert_as_documented(doc, "transactions", response)
    response = client_with_key.get("/api/tournaments/digest")
    assert response.json()["from"] is None
    assert_as_documented(doc, "tournaments", response)


def test_refusals_are_as_documented(doc, client_with_key):
    bad_step = client_with_key.get("/api/users/digest", {**WINDOW, "step": "1w"})
    assert bad_step.status_code == 400 and bad_step.json()["param"] == "step"
    assert_as_documented(doc, "users", bad_step)
    nobody = APIClient().get("/api/users/digest", WINDOW)
    assert nobody.status_code == 401
    assert_as_documented(doc, "users", nobody)
    _, secret = issue_key("contacts only", feeds=["contacts"])
    forbidden = APIClient().get("/api/users/digest", WINDOW, HTTP_X_API_KEY=secret)
    assert forbidden.status_code == 403
    assert_as_documented(doc, "users", forbidden)
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    early = client_with_key.get("/api/logins/digest", {"from": WINDOW["from"], "to": f"{soon:%Y-%m-%d %H:%M:%S}"})
    assert early.status_code == 425
    assert_as_documented(doc, "logins", early)


@override_settings(API_RATE_LIMIT="1/min")
def test_a_429_is_as_documented(doc, client_with_key):
    assert client_with_key.get("/api/wallets/digest", WINDOW).status_code == 200
    response = client_with_key.get("/api/wallets/digest", WINDOW)
    assert response.status_code == 429
    assert_as_documented(doc, "wallets", response)
