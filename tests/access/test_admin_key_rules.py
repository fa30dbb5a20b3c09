"""Key rules in the admin (operations.md section 6): the same rules, and the same
refusals, as create_api_key."""

import pytest
from django.urls import reverse

from access.models import ApiKey
from tests.support.factories import at, issue_key

pytestmark = pytest.mark.django_db


def add_url() -> str:
    return reverse("admin:access_apikey_add")


def change_url(key: ApiKey) -> str:
    return reverse("admin:access_apikey_change", args=[key.pk])


def test_a_key_is_made_in_the_admin_with_its_rules(admin_client):
    response = admin_client.post(
        add_url(),
        {
            "name": "InTarget",
            "direction": "pull",
            "feeds": ["users", "transactions"],
            "allowed_networks": "203.0.113.0/24\n2001:db8::/32",
            "expires_at_0": "2099-01-01",
            "expires_at_1": "00:00:00",
        },
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    assert key.feeds == ["users", "transactions"]
    assert key.allowed_networks == ["203.0.113.0/24", "2001:db8::/32"]
    assert key.expires_at == at("2099-01-01 00:00:00")
    assert key.direction == "pull"
    assert '<code id="issued-secret">ie_' in response.content.decode()


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("allowed_networks", "203.0.113.0/24\nnot-a-network", "'not-a-network' is not a network"),
        ("feeds", ["game-actions"], "unknown feed 'game-actions'"),
    ],
)
def test_a_bad_rule_is_refused_by_the_form_and_no_key_is_made(admin_client, field, value, words):
    data = {"name": "InTarget", "direction": "pull", field: value}
    response = admin_client.post(add_url(), data)
    assert response.status_code == 200  # the form again, with its error
    assert words in " ".join(response.context["adminform"].form.errors[field])
    assert not ApiKey.objects.exists()


def test_an_expiry_in_the_past_is_refused_on_creation(admin_client):
    data = {"name": "InTarget", "direction": "pull", "expires_at_0": "2020-01-01", "expires_at_1": "00:00:00"}
    response = admin_client.post(add_url(), data)
    assert "not in the future" in " ".join(response.context["adminform"].form.errors["expires_at"])
    assert not ApiKey.objects.exists()


def test_the_rules_of_a_key_are_edited_and_its_secret_keeps_working(admin_client, client):
    key, secret = issue_key("InTarget")
    response = admin_client.post(
        change_url(key),
        {"name": "InTarget", "direction": "pull", "feeds": ["users"], "allowed_networks": "198.51.100.0/24"},
    )
    assert response.status_code == 302, response.content
    key.refresh_from_db()
    assert (key.feeds, key.allowed_networks) == (["users"], ["198.51.100.0/24"])
    window = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}
    answer = client.get("/api/users", window, HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR="198.51.100.9")
    assert answer.status_code == 200
    assert client.get("/api/users", window, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 403


def test_the_key_list_shows_each_keys_rules_and_status(admin_client):
    issue_key("scoped", feeds=["users"], networks=["192.0.2.0/24"])
    revoked, _ = issue_key("gone")
    revoked.revoke()
    body = admin_client.get(reverse("admin:access_apikey_changelist")).content.decode()
    for text in ("scoped", "users", "192.0.2.0/24", "every feed", "any address", "revoked", "active"):
        assert text in body
