"""The push operations in ``/api/schema`` (operations.md sections 9 and 10): one POST per
pushable feed, its request bodies in both formats with import_feed's columns, typed, and
every answer it gives, each live answer validated against the document's own schema."""

import jsonschema
import pytest
from django.test import Client, override_settings

from tests.support.factories import issue_key

pytestmark = pytest.mark.django_db

STATUSES = ["200", "400", "401", "403", "405", "413", "415", "429", "503"]
TX = "id,player_id,amount,currency,dir,created_at\n"


@pytest.fixture
def doc() -> dict:
    return Client().get("/api/schema").json()


def schema_of(doc: dict, schema: dict) -> dict:
    return {**schema, "components": doc["components"]}


def test_every_push_documents_both_bodies_and_every_answer(doc):
    posts = {path: item["post"] for path, item in doc["paths"].items() if "post" in item}
    assert "/api/game-actions" in posts and "/api/games" not in posts
    for path, operation in posts.items():
        assert list(operation["requestBody"]["content"]) == ["text/csv", "application/json"], path
        assert list(operation["responses"]) == STATUSES, path
        assert operation["tags"] == ["push"]
        assert "--push" in operation["description"]
        assert "parameters" not in operation or all(p["in"] == "header" for p in operation["parameters"])


def test_the_json_body_is_an_array_of_the_import_columns_typed(doc):
    body = doc["paths"]["/api/transactions"]["post"]["requestBody"]["content"]
    row = doc["components"]["schemas"]["TransactionsPushRow"]
    assert body["application/json"]["schema"] == {
        "type": "array", "items": {"$ref": "#/components/schemas/TransactionsPushRow"}
    }
    # Money as the pull's JSON writes it: a number, or (money=string) its exact text.
    assert [form["type"] for form in row["properties"]["amount"]["oneOf"]] == ["number", "string"]
    assert row["properties"]["dir"]["enum"] == ["IN", "OUT"]
    # updated_at is the window timestamp: the service stamps it, so a push need not send it.
    assert row["required"] == ["id", "player_id", "amount", "currency", "dir", "created_at"]
    assert row["additionalProperties"] is False
    assert body["text/csv"]["schema"]["example"].startswith("id,player_id,amount,currency,")


def assert_as_documented(doc: dict, feed: str, response) -> None:
    # games has no push operation: its 405 is described on every push (the same answer).
    answer = doc["paths"][f"/api/{feed if feed != 'games' else 'transactions'}"]["post"]["responses"][
        str(response.status_code)
    ]
    assert list(answer["content"]) == [response["Content-Type"].split(";")[0]]
    jsonschema.validate(response.json(), schema_of(doc, answer["content"]["application/json"]["schema"]))
    for name, header in answer.get("headers", {}).items():
        if header.get("required"):
            assert name in response, (response.status_code, name)


@pytest.mark.parametrize(
    "feed, body, content_type, status",
    [
        ("transactions", TX + "t1,p1,1.5,EUR,IN,2020-10-10 07:00:00\n", "text/csv", 200),
        ("transactions", TX + "t1,p1,lots,EUR,IN,2020-10-10 07:00:00\n", "text/csv", 400),
        ("transactions", "[{}]", "application/json", 400),
        ("transactions", TX, "text/plain", 415),
        ("games", TX, "text/csv", 405),
    ],
    ids=["200", "400 csv", "400 json", "415", "405"],
)
def test_live_answers_are_as_documented(doc, feed, body, content_type, status):
    _, secret = issue_key(push=True)
    response = Client().post(f"/api/{feed}", body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == status, response.content
    assert_as_documented(doc, feed, response)


def test_a_413_and_a_pull_keys_403_and_a_401_are_as_documented(doc):
    _, push = issue_key("push", push=True)
    _, pull = issue_key("pull")
    with override_settings(PUSH_MAX_BYTES=10):
        large = Client().post("/api/transactions", TX, content_type="text/csv", HTTP_AUTHORIZATION=f"Bearer {push}")
    assert large.status_code == 413
    refused = Client().post("/api/transactions", TX, content_type="text/csv", HTTP_AUTHORIZATION=f"Bearer {pull}")
    assert refused.status_code == 403
    anonymous = Client().post("/api/transactions", TX, content_type="text/csv")
    assert anonymous.status_code == 401
    for response in (large, refused, anonymous):
        assert_as_documented(doc, "transactions", response)
