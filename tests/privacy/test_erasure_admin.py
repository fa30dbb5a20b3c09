"""Erasure in the admin (operations.md section 11): the players' action asks first, then
erases as the command does, recording the admin user; the record is read-only."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from players.models import Contact, Player
from privacy.models import Erasure
from tests.support.factories import ContactFactory, PlayerFactory

pytestmark = pytest.mark.django_db

PLAYERS = reverse("admin:players_player_changelist")
ERASURES = reverse("admin:privacy_erasure_changelist")


@pytest.fixture
def players(db) -> None:
    for player_id in ("p1", "p2", "p3"):
        ContactFactory(
            player=PlayerFactory(id=player_id, first_name=f"Name-{player_id}", last_name="Surname"),
            email=f"{player_id}@example.com",
        )


def staff(*permissions: str) -> Client:
    user = User.objects.create_user("clerk", password="x", is_staff=True)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


def action(client: Client, *player_ids: str, confirm: bool = False):
    data = {"action": "erase_selected", "_selected_action": list(player_ids)}
    if confirm:
        data["post"] = "yes"
    return client.post(PLAYERS, data)


def test_the_action_asks_for_confirmation_and_erases_nothing_until_confirmed(admin_client, players):
    page = action(admin_client, "p1", "p2")
    assert page.status_code == 200
    body = page.content.decode()
    assert "cannot be undone" in body and "<li>p1</li>" in body and "<li>p2</li>" in body
    assert 'name="post" value="yes"' in body
    assert Player.objects.get(id="p1").first_name == "Name-p1"
    assert not Erasure.objects.exists()


def test_confirmed_it_erases_the_selected_players_and_records_the_admin_user(admin_client, admin_user, players):
    response = action(admin_client, "p1", "p2", confirm=True)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)][0].startswith(
        "Erased the personal data of 2 player(s): 4 row(s) changed"
    )
    assert list(Player.objects.order_by("id").values_list("id", "first_name")) == [
        ("p1", None), ("p2", None), ("p3", "Name-p3")
    ]
    assert Contact.objects.get(player_id="p3").email == "p3@example.com"
    assert sorted(Erasure.objects.values_list("player_id", "operator", "via")) == [
        ("p1", admin_user.username, "admin"), ("p2", admin_user.username, "admin"),
    ]


def test_the_admin_history_keeps_its_entries_under_the_player_id_alone(admin_client, admin_user, players):
    LogEntry.objects.log_actions(admin_user.pk, [Player.objects.get(id="p1")], CHANGE, change_message="edited")
    assert "p1 Name-p1 Surname" in admin_client.get(reverse("admin:index")).content.decode()  # Recent actions
    action(admin_client, "p1", confirm=True)
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.object_repr, entry.user_id) == ("p1", "p1", admin_user.pk)
    assert "Name-p1" not in admin_client.get(reverse("admin:index")).content.decode()


def test_staff_without_the_erase_permission_do_not_get_the_action(players):
    clerk = staff("view_player", "change_player")
    page = clerk.get(PLAYERS)
    assert page.status_code == 200
    assert "erase_selected" not in page.content.decode()
    action(clerk, "p1", confirm=True)
    assert Player.objects.get(id="p1").first_name == "Name-p1"
    assert not Erasure.objects.exists()


def test_staff_with_the_erase_permission_get_it(players):
    clerk = staff("view_player", "change_player", "erase_player", "view_erasure")
    assert "erase_selected" in clerk.get(PLAYERS).content.decode()
    action(clerk, "p3", confirm=True)
    assert Erasure.objects.get().operator == "clerk"
    assert clerk.get(ERASURES).status_code == 200


def test_the_record_is_listed_and_shown_read_only_never_added_changed_or_deleted(admin_client, players):
    action(admin_client, "p1", confirm=True)
    erasure = Erasure.objects.get()
    listed = admin_client.get(ERASURES).content.decode()
    assert "p1" in listed and f"{erasure.erased_at:%Y-%m-%d %H:%M:%S} UTC" in listed
    shown = admin_client.get(reverse("admin:privacy_erasure_change", args=[erasure.pk]))
    assert shown.status_code == 200
    body = shown.content.decode()
    assert "contacts (players_contact): 1 row: email, email_confirmed_at, phone" in body
    assert 'name="_save"' not in body
    assert admin_client.get(reverse("admin:privacy_erasure_add")).status_code == 403
    assert admin_client.post(reverse("admin:privacy_erasure_delete", args=[erasure.pk]), {"post": "yes"}).status_code == 403
    assert Erasure.objects.count() == 1
