"""The add-key form says which feeds are pulled and which pushed (operations.md sections 6
and 10): each choice is labelled from the feed registry, by the directions whose keys may
open it, and the help text says what the words mean."""

import re

import pytest
from django.urls import reverse

from access.services import feeds_for
from feeds.registry import registry

pytestmark = pytest.mark.django_db


def choices(admin_client) -> dict[str, str]:
    body = admin_client.get(reverse("admin:access_apikey_add")).content.decode()
    return dict(re.findall(r'<input type="checkbox" name="feeds" value="([^"]+)"[^>]*>\s*(.*?)</label>', body))


def test_each_feed_is_labelled_pulled_or_pushed_as_the_registry_says(admin_client):
    labels = choices(admin_client)
    assert labels["users"] == "users — pulled or pushed"
    assert labels["games"] == "games — pulled only"  # built by the database from the actions
    assert labels["game-actions"] == "game-actions — pushed only"  # loaded, never served
    # Every feed of the registry, in its order, and each label agrees with what a key may open.
    assert list(labels) == list(registry())
    for name, label in labels.items():
        assert ("pulled" in label) == (name in feeds_for("pull"))
        assert ("pushed" in label) == (name in feeds_for("push"))


def test_the_help_text_says_which_direction_opens_which_feeds(admin_client):
    body = admin_client.get(reverse("admin:access_apikey_add")).content.decode()
    assert "A pull key (InTarget reads) may open the feeds marked “pulled”" in body
    assert "a push key (the product sends rows) those marked “pushed”" in body
