"""The admin's delete actions leave tombstones (through the database's triggers, like
any deletion), and the tombstones are shown to the operator, read only."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from deletions.models import Tombstone
from players.models import Player
from tests.support.factories import PlayerFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def test_the_delete_selected_action_leaves_a_tombstone_per_row(admin_client):
    for id in ("p1", "p2", "p3"):
        PlayerFactory(id=id)
    response = admin_client.post(
        reverse("admin:players_player_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: ["p1", "p3"], "post": "yes"},
    )
    assert response.status_code == 302
    assert list(Player.objects.values_list("id", flat=True)) == ["p2"]
    assert sorted(Tombstone.objects.values_list("feed", "row_id")) == [("users", "p1"), ("users", "p3")]


def test_deleting_one_row_from_its_page_leaves_its_tombstone(admin_client):
    TransactionFactory(id="t1")
    response = admin_client.post(reverse("admin:payments_transaction_delete", args=["t1"]), {"post": "yes"})
    assert response.status_code == 302
    assert list(Tombstone.objects.values_list("feed", "row_id")) == [("transactions", "t1")]


def test_the_tombstones_are_listed_and_cannot_be_changed(admin_client):
    PlayerFactory(id="p1").delete()
    listing = admin_client.get(reverse("admin:deletions_tombstone_changelist"))
    assert listing.status_code == 200 and b"p1" in listing.content
    tombstone = Tombstone.objects.get()
    assert admin_client.get(reverse("admin:deletions_tombstone_add")).status_code == 403
    page = admin_client.get(reverse("admin:deletions_tombstone_change", args=[tombstone.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content  # a view, no form to save
    assert admin_client.post(reverse("admin:deletions_tombstone_delete", args=[tombstone.pk]), {"post": "yes"}).status_code == 403
