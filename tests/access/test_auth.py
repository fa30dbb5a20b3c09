"""API keys on the feed API (feeds.md section 3): Bearer, HTTP Basic password, X-Api-Key."""

import base64

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from access.models import ApiKey
from tests.support.factories import TransactionFactory, at, issue_key

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}
HEADER = (
    b"id,player_id,amount,currency,type,status,payment_system,dir,created_at,updated_at,"
    b"invoice_id,wallet_id,user_agent,ip,requisite,comment\n"
)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def credentials(scheme: str, key: str) -> dict[str, str]:
    """The request headers that offer ``key`` with ``scheme``."""
    if scheme == "bearer":
        return {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if scheme == "basic":
        return {"HTTP_AUTHORIZATION": basic("intarget", key)}
    if scheme == "x-api-key":
        return {"HTTP_X_API_KEY": key}
    raise AssertionError(scheme)


def get(**headers):
    return APIClient().get("/api/transactions", WINDOW, **headers)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_unauthorized(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"]
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    assert list(payload) == ["error"]
    assert isinstance(payload["error"], str) and payload["error"]


# --- accepted ------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["bearer", "basic", "x-api-key"])
def test_a_valid_key_is_accepted_with_every_scheme(api_key, scheme):
    TransactionFactory(id="t1", player_id="p1", updated_at=at("2020-10-10 07:10:00"))
    response = get(**credentials(scheme, api_key))
    assert response.status_code == 200
    assert body(response) == HEADER + (
        b"t1,p1,100,USD,Normal,Success,visa,IN,2020-10-10 07:05:00,2020-10-10 07:10:00,,,,,4111 **** **** 1111,\n"
    )


@pytest.mark.parametrize("user", ["intarget", "", "someone-else", "admin@example.com"])
def test_basic_auth_takes_the_key_as_password_with_any_user_name(api_key, user):
    assert get(HTTP_AUTHORIZATION=basic(user, api_key)).status_code == 200


def test_the_bearer_scheme_name_is_case_insensitive(api_key):
    assert get(HTTP_AUTHORIZATION=f"bearer {api_key}").status_code == 200


# --- refused -------------------------------------------------------------------------


def test_no_key_is_a_401_with_a_challenge_and_a_json_error(db):
    assert_unauthorized(get())


def test_no_key_is_a_401_whatever_format_was_asked_for(db):
    response = APIClient().get("/api/transactions", {**WINDOW, "format": "csv"}, HTTP_ACCEPT="text/csv")
    assert_unauthorized(response)


@pytest.mark.parametrize("scheme", ["bearer", "basic", "x-api-key"])
def test_a_wrong_key_is_a_401(api_key, scheme):
    assert_unauthorized(get(**credentials(scheme, "ie_notakey_" + "x" * 43)))


@pytest.mark.parametrize("scheme", ["bearer", "basic", "x-api-key"])
def test_a_key_with_its_last_character_changed_is_a_401(api_key, scheme):
    tampered = api_key[:-1] + ("A" if api_key[-1] != "A" else "B")
    assert_unauthorized(get(**credentials(scheme, tampered)))


@pytest.mark.parametrize("scheme", ["bearer", "basic", "x-api-key"])
def test_a_revoked_key_is_a_401(api_key, scheme):
    assert get(**credentials(scheme, api_key)).status_code == 200
    ApiKey.objects.get().revoke()
    assert_unauthorized(get(**credentials(scheme, api_key)))


def test_revoking_one_key_leaves_the_others_working(api_key):
    other, _ = issue_key("other")
    other.revoke()
    assert get(HTTP_AUTHORIZATION=f"Bearer {api_key}").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no colon here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xfa").decode(),
    ],
)
def test_malformed_basic_credentials_are_a_401(api_key, authorization):
    assert_unauthorized(get(HTTP_AUTHORIZATION=authorization))


def test_basic_with_the_key_as_user_name_instead_of_password_is_a_401(api_key):
    assert_unauthorized(get(HTTP_AUTHORIZATION=basic(api_key, "")))


def test_an_empty_bearer_is_a_401(api_key):
    assert_unauthorized(get(HTTP_AUTHORIZATION="Bearer "))


def test_a_wrong_key_is_a_401_even_on_an_unknown_feed(db):
    # Authentication comes first: an anonymous caller learns nothing about the feeds.
    response = APIClient().get("/api/no-such-feed", WINDOW, HTTP_AUTHORIZATION="Bearer wrong")
    assert response.status_code == 401


# --- what is stored ------------------------------------------------------------------


def test_last_used_at_is_recorded_when_the_key_is_used(api_key):
    assert ApiKey.objects.get().last_used_at is None
    with time_machine.travel(at("2021-01-01 12:00:00"), tick=False):
        assert get(HTTP_AUTHORIZATION=f"Bearer {api_key}").status_code == 200
    assert ApiKey.objects.get().last_used_at == at("2021-01-01 12:00:00")
    with time_machine.travel(at("2021-01-01 14:30:00"), tick=False):
        assert get(HTTP_X_API_KEY=api_key).status_code == 200
    assert ApiKey.objects.get().last_used_at == at("2021-01-01 14:30:00")


def test_a_refused_key_is_not_recorded_as_used(api_key):
    ApiKey.objects.get().revoke()
    get(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert ApiKey.objects.get().last_used_at is None


def test_only_a_hash_of_the_key_is_stored(db):
    _, secret = issue_key("InTarget production")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(ApiKey._meta.db_table)}")
        (row,) = cursor.fetchall()
    stored = [str(value) for value in row if value is not None]
    assert "InTarget production" in stored
    for value in stored:
        assert secret not in value
        # Nor its secret tail: only a short prefix may be kept in clear.
        assert secret[-20:] not in value
