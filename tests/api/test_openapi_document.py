"""``GET /api/schema``: an OpenAPI 3 document built from the feed registry (operations.md 9).

One path per served feed, its columns in order with a type each, the window parameters
as each feed's rules say; no key needed, no row data. Expected columns are written out
here, never re-derived from the registry, except where the test is that a change to the
registry reaches the document.
"""

import dataclasses
import json

import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema

from feeds import columns as k
from feeds.registry import Column, registry
from tests.support.factories import CustomFieldFactory, PlayerFactory

pytestmark = pytest.mark.django_db

FEEDS = [
    "users", "contacts", "logins", "transactions", "wallets", "games", "tournaments", "sport-events", "bets",
    "bet-selections", "deletions",
]


def document(**headers) -> dict:
    response = Client().get("/api/schema", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def row(doc: dict, component: str) -> dict:
    return doc["components"]["schemas"][component]


# A money column: a JSON number, or with money=string a JSON string of plain decimal text.
MONEY_TYPES = [{"type": "number"}, {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}]


def json_type(column: dict) -> str:
    if "oneOf" in column:
        assert column["oneOf"] == MONEY_TYPES and "type" not in column
        return "money"
    return column["type"]


def test_it_is_a_valid_openapi_3_document_needing_no_key():
    doc = document()
    assert doc["openapi"].startswith("3.")
    validate_schema(doc)  # drf-spectacular's copy of the OpenAPI 3.0 JSON schema
    # A wrong key changes nothing: the document is not behind authentication.
    assert document(HTTP_AUTHORIZATION="Bearer wrong") == doc


def test_every_served_feed_is_one_get_path_and_every_pushable_one_a_post_and_nothing_else_is():
    doc = document()
    # game-actions is not served, only pushed; games and deletions are only served (operations.md
    # section 10, assurance.md section 15). Each served feed also has its digest (assurance.md
    # section 14; tests/api/test_openapi_digest.py).
    pushable = [feed for feed in FEEDS if feed not in ("games", "deletions")] + ["game-actions"]
    digests = [f"/api/{feed}/digest" for feed in FEEDS]
    assert sorted(doc["paths"]) == sorted([*(f"/api/{feed}" for feed in [*FEEDS, "game-actions"]), *digests])
    assert {path for path, item in doc["paths"].items() if "get" in item} == {
        *(f"/api/{feed}" for feed in FEEDS), *digests
    }
    assert {path for path, item in doc["paths"].items() if "post" in item} == {f"/api/{feed}" for feed in pushable}
    assert {method for path in doc["paths"].values() for method in path} == {"get", "post"}


def test_wallets_columns_are_in_order_with_their_types():
    wallets = row(document(), "WalletsRow")
    assert list(wallets["properties"]) == [
        "id", "player_id", "type", "balance", "currency", "created_at", "modified_at",
    ]
    types = {name: (json_type(column), column.get("nullable", False)) for name, column in wallets["properties"].items()}
    assert types == {
        "id": ("string", False),
        "player_id": ("string", False),
        "type": ("string", False),
        "balance": ("money", False),
        "currency": ("string", False),
        "created_at": ("string", False),
        "modified_at": ("string", False),
    }
    assert wallets["properties"]["type"]["enum"] == ["Normal", "Prize", "Other"]
    assert wallets["properties"]["id"]["maxLength"] == 64
    assert wallets["properties"]["created_at"]["pattern"] == r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
    assert wallets["required"] == list(wallets["properties"])  # every key is always present
    assert wallets["additionalProperties"] is False


def test_flags_dates_and_optional_columns_are_typed_as_the_api_writes_them():
    doc = document()
    users = row(doc, "UsersRow")["properties"]
    assert users["is_blocked"] == {**users["is_blocked"], "type": "boolean", "nullable": True}
    assert users["birthday"]["format"] == "date"
    assert row(doc, "LoginsRow")["properties"]["is_success"]["enum"] == [0, 1, None]
    assert row(doc, "GamesRow")["properties"]["bet_count"]["type"] == "integer"
    transactions = row(doc, "TransactionsRow")["properties"]
    assert json_type(transactions["amount"]) == "money" and "nullable" not in transactions["amount"]
    assert transactions["status"]["enum"] == ["New", "Process", "Success", "Fail", None]


def test_both_formats_of_200_name_the_columns_in_order():
    ok = document()["paths"]["/api/contacts"]["get"]["responses"]["200"]["content"]
    header = (
        "player_id,email,email_confirmed_at,email_subscribe,phone,phone_subscribe,phone_confirmed_at,"
        "push_token,created_at,modified_at"
    )
    assert ok["text/csv"]["schema"]["example"] == header + "\n"
    assert ok["application/json"]["schema"] == {"type": "array", "items": {"$ref": "#/components/schemas/ContactsRow"}}


def test_from_and_to_are_required_except_where_the_window_is_optional():
    doc = document()

    def parameters(feed):
        return {p["name"]: p for p in doc["paths"][f"/api/{feed}"]["get"]["parameters"]}

    users, tournaments = parameters("users"), parameters("tournaments")
    assert set(users) == set(tournaments) == {"from", "to", "format", "money"}
    assert users["from"]["required"] is True and users["to"]["required"] is True
    assert "allowEmptyValue" not in users["from"]
    assert not tournaments["from"].get("required") and tournaments["from"]["allowEmptyValue"] is True
    assert users["format"]["schema"]["enum"] == ["csv", "json"]
    assert users["money"]["schema"]["enum"] == ["number", "string"] and not users["money"].get("required")
    assert "float" in users["money"]["description"] and "CSV is the same" in users["money"]["description"]
    assert all(p["in"] == "query" for p in users.values())


def test_a_column_added_to_a_feed_shows_up(monkeypatch):
    wallets = registry()["wallets"]
    grown = dataclasses.replace(wallets, columns=(*wallets.columns, Column("note", k.Text(max_length=200))))
    monkeypatch.setitem(registry(), "wallets", grown)
    doc = document()
    assert list(row(doc, "WalletsRow")["properties"])[-1] == "note"
    assert row(doc, "WalletsRow")["properties"]["note"]["maxLength"] == 200
    csv = doc["paths"]["/api/wallets"]["get"]["responses"]["200"]["content"]["text/csv"]["schema"]
    assert csv["example"].endswith(",modified_at,note\n")


def test_a_custom_field_of_users_shows_up_after_the_standard_columns():
    before = row(document(), "UsersRow")["properties"]
    assert list(before)[-1] == "locale"
    CustomFieldFactory(name="vip_level", type="integer")
    CustomFieldFactory(name="lifetime_value", type="decimal")
    doc = document()
    users = row(doc, "UsersRow")
    assert list(users["properties"])[-3:] == ["locale", "vip_level", "lifetime_value"]
    assert users["properties"]["vip_level"]["type"] == "integer"
    assert json_type(users["properties"]["lifetime_value"]) == "money"
    assert users["properties"]["vip_level"]["nullable"] is True
    # Fields defined later may appear before InTarget fetches the document again.
    assert users["additionalProperties"] is True
    csv = doc["paths"]["/api/users"]["get"]["responses"]["200"]["content"]["text/csv"]["schema"]
    assert csv["example"].endswith(",locale,vip_level,lifetime_value\n")


def test_no_row_data_is_in_the_document():
    PlayerFactory(id="p-secret-7781", first_name="Quintessa", city="Zzyzx")
    text = json.dumps(document())
    assert "p-secret-7781" not in text and "Quintessa" not in text and "Zzyzx" not in text
