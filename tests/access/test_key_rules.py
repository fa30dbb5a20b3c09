"""What a key opens (operations.md section 6): feeds, networks, expiry, direction.

A refused rule answers 403 with a JSON error naming the rule and never the key; an
expired key answers 401, exactly as a wrong one does.
"""

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.support.factories import TransactionFactory, at, issue_key

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}


def client(secret: str, address: str = "127.0.0.1") -> APIClient:
    api = APIClient(REMOTE_ADDR=address)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api


def assert_refused(response, rule: str, secret: str):
    assert response.status_code == 403, response.content
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    assert list(payload) == ["error"]
    assert f"key's {rule} rule" in payload["error"]
    assert secret not in response.content.decode()


# --- feeds ---------------------------------------------------------------------------


def test_a_key_scoped_to_feeds_pulls_those_feeds():
    TransactionFactory(id="t1", updated_at=at("2020-10-10 07:10:00"))
    _, secret = issue_key(feeds=["users", "transactions"])
    for feed in ("users", "transactions"):
        assert client(secret).get(f"/api/{feed}", WINDOW).status_code == 200


def test_a_key_scoped_to_feeds_is_refused_any_other_feed_with_403_naming_the_feed_rule():
    _, secret = issue_key(feeds=["users"])
    for feed in ("transactions", "games", "tournaments"):
        response = client(secret).get(f"/api/{feed}", WINDOW)
        assert_refused(response, "feed", secret)
        assert repr(feed) in response.json()["error"]


def test_an_unknown_feed_is_404_whatever_the_keys_feed_rule():
    _, secret = issue_key(feeds=["users"])
    assert client(secret).get("/api/players", WINDOW).status_code == 404


def test_a_key_without_a_feed_rule_opens_every_feed():
    _, secret = issue_key()
    for feed in ("users", "contacts", "logins", "transactions", "wallets", "games", "bets"):
        response = client(secret).get(f"/api/{feed}", WINDOW)
        assert response.status_code == 200, feed
        b"".join(response.streaming_content)  # sent to its end: the stream slot is given back


# --- networks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address", ["203.0.113.1", "203.0.113.254", "2001:db8::1", "2001:db8:ffff::7", "192.0.2.7", "::ffff:203.0.113.9"]
)
def test_a_request_from_an_allowed_network_is_served(address):
    _, secret = issue_key(networks=["203.0.113.0/24", "2001:db8::/32", "192.0.2.7"])
    assert client(secret, address).get("/api/users", WINDOW).status_code == 200


@pytest.mark.parametrize("address", ["203.0.114.1", "192.0.2.8", "2001:db9::1", "10.0.0.1", "::1"])
def test_a_request_from_any_other_address_is_403_naming_the_address_rule(address):
    _, secret = issue_key(networks=["203.0.113.0/24", "2001:db8::/32", "192.0.2.7"])
    assert_refused(client(secret, address).get("/api/users", WINDOW), "address", secret)


def test_the_address_rule_is_checked_before_the_feed_rule():
    """A caller from the wrong network learns nothing about which feeds the key opens."""
    _, secret = issue_key(feeds=["users"], networks=["203.0.113.0/24"])
    response = client(secret, "198.51.100.1").get("/api/transactions", WINDOW)
    assert_refused(response, "address", secret)
    assert "users" not in response.json()["error"]


# --- expiry --------------------------------------------------------------------------


def test_a_key_works_until_its_expiry_and_is_a_401_like_a_wrong_key_from_then_on():
    with time_machine.travel(at("2026-01-01 00:00:00"), tick=False):
        _, secret = issue_key(expires_at=at("2026-06-01 12:00:00"))
    _, wrong = issue_key("other")
    with time_machine.travel(at("2026-06-01 11:59:59"), tick=False):
        assert client(secret).get("/api/users", WINDOW).status_code == 200
    with time_machine.travel(at("2026-06-01 12:00:00"), tick=False):
        expired = client(secret).get("/api/users", WINDOW)
        assert expired.status_code == 401
        bad = client(wrong + "x").get("/api/users", WINDOW)
        assert expired.json() == bad.json()
        assert expired["WWW-Authenticate"] == bad["WWW-Authenticate"]


# --- direction -----------------------------------------------------------------------


def test_a_pull_key_may_not_push():
    _, secret = issue_key()
    response = client(secret).post("/api/transactions", "id,amount\n", content_type="text/csv")
    assert_refused(response, "direction", secret)
    assert "pull key" in response.json()["error"]


def test_a_push_key_may_not_pull():
    _, secret = issue_key(push=True)
    response = client(secret).get("/api/transactions", WINDOW)
    assert_refused(response, "direction", secret)
    assert "push key" in response.json()["error"]


def test_a_push_key_scoped_to_feeds_may_not_push_to_another():
    _, secret = issue_key(push=True, feeds=["game-actions"])
    response = client(secret).post("/api/transactions", "id\n", content_type="text/csv")
    assert_refused(response, "feed", secret)


def test_a_method_that_is_neither_pull_nor_push_is_a_405_for_a_push_key_too():
    _, secret = issue_key(push=True)
    response = client(secret).put("/api/transactions", "id\n", content_type="text/csv")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD, POST"
