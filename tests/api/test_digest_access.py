"""A digest is asked with the feed's key rules and limits (assurance.md section 14):
401 without a good key, 403 where the key's rules refuse the feed, 429 past its limits;
a digest gives its stream slot back once answered, and is not a pull (operations.md
section 8: the pull log records what was sent, and a digest sends no rows)."""

import time_machine
import pytest
from rest_framework.test import APIClient

from access.models import ApiKey
from access.services import api_keys_revoke
from operations.models import Pull
from tests.support.factories import TransactionFactory, at, issue_key

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}


def ask(secret: str | None, feed: str = "transactions", method: str = "get", **extra):
    api = APIClient(**extra)
    if secret is not None:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return getattr(api, method)(f"/api/{feed}/digest", WINDOW)


def assert_json_error(response, status: int, words: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert words in response.json()["error"]


def test_no_key_or_a_wrong_one_is_a_401_with_its_challenge(db):
    for secret in (None, "wrong"):
        response = ask(secret)
        assert_json_error(response, 401, "")
        assert response["WWW-Authenticate"] == 'Bearer realm="intarget-export"'


def test_a_revoked_or_expired_key_is_a_401(db):
    expired, secret = issue_key("expired", expires_at=at("2099-01-01 00:00:00"))
    assert ask(secret).status_code == 200
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=at("2020-01-01 00:00:00"))
    assert_json_error(ask(secret), 401, "invalid, revoked or expired")
    revoked, secret = issue_key("revoked")
    api_keys_revoke(keys=ApiKey.objects.filter(pk=revoked.pk))
    assert_json_error(ask(secret), 401, "invalid, revoked or expired")


def test_a_key_limited_to_other_feeds_is_a_403_naming_the_rule(db):
    _, secret = issue_key("contacts only", feeds=["contacts"])
    assert_json_error(ask(secret, "transactions"), 403, "transactions")
    assert ask(secret, "contacts").status_code == 200


def test_a_key_from_another_network_or_a_push_key_is_a_403(db):
    _, remote = issue_key("office", networks=["198.51.100.0/24"])
    assert_json_error(ask(remote, REMOTE_ADDR="203.0.113.7"), 403, "address")
    assert ask(remote, REMOTE_ADDR="198.51.100.9").status_code == 200
    _, push = issue_key("product", push=True)
    assert ask(push).status_code == 403


def test_past_the_rate_a_digest_is_a_429_with_retry_after_and_counts_with_the_feed(settings):
    settings.API_RATE_LIMIT = "2/min"
    _, secret = issue_key()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    with time_machine.travel(at("2026-12-01 10:00:15"), tick=False):
        assert api.get("/api/transactions/digest", WINDOW).status_code == 200
        b"".join(api.get("/api/transactions", WINDOW).streaming_content)
        refused = api.get("/api/transactions/digest", WINDOW)
    assert_json_error(refused, 429, "2 requests per min")
    assert int(refused["Retry-After"]) >= 1


def test_a_digest_gives_its_stream_slot_back_once_answered(settings):
    settings.API_MAX_STREAMS = 1
    _, secret = issue_key()
    assert [ask(secret).status_code for _ in range(3)] == [200, 200, 200]
    assert ask(secret, "nope").status_code == 404  # a refusal gives it back too
    assert ask(secret).status_code == 200


def test_unknown_feeds_and_game_actions_have_no_digest(db):
    _, secret = issue_key()
    assert_json_error(ask(secret, "nope"), 404, "unknown feed 'nope'")
    assert_json_error(ask(secret, "game-actions"), 404, "game-actions is not served")


def test_a_digest_is_only_read(db):
    _, pull = issue_key()
    assert ask(pull, method="head").status_code == 200
    assert ask(pull, method="post").status_code == 403  # a pull key's POST is a push: refused first
    _, push = issue_key("product", push=True)
    response = ask(push, method="post")
    assert response.status_code == 405 and response["Content-Type"] == "application/json"


def test_a_digest_is_not_in_the_pull_log_where_the_feed_is(db):
    TransactionFactory(updated_at=at("2020-10-10 07:30:00"))
    _, secret = issue_key("InTarget")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    b"".join(api.get("/api/transactions", WINDOW).streaming_content)
    assert api.get("/api/transactions/digest", WINDOW).json()["rows"] == 1
    assert api.get("/api/transactions/digest", {**WINDOW, "to": "bad"}).status_code == 400
    assert list(Pull.objects.values_list("feed", "rows")) == [("transactions", 1)]
