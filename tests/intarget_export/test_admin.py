"""The admin: every page loads, loose references never crash it, and edits go through the rules."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.forms import CheckboxInput, MultiWidget
from django.urls import reverse

from access.models import ApiKey, hash_key
from feeds.admin_base import FeedRowAdmin
from games.models import GameSession
from payments.models import Transaction
from players.models import Contact, CustomField, Player
from players.services import custom_field_define
from tests.support.factories import (
    BetFactory,
    BetSelectionFactory,
    ContactFactory,
    GameActionFactory,
    LoginFactory,
    PlayerFactory,
    SportEventFactory,
    TournamentFactory,
    TransactionFactory,
    WalletFactory,
    at,
    issue_key,
)

pytestmark = pytest.mark.django_db

FEED_APPS = ("players", "payments", "games", "sports", "intarget_export", "access")


def registered() -> list[type]:
    return [model for model in admin.site._registry if model._meta.app_label in FEED_APPS]


def url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def rows(db) -> dict[str, Any]:
    """One row of every model, all referring to player p1 (plus an ApiKey and a custom field)."""
    player = PlayerFactory(id="p1")
    ContactFactory(player=player)
    tournament = TournamentFactory(id="tour1")
    event = SportEventFactory(id="ev1", tournament_id=tournament.id)
    bet = BetFactory(id="b1", player_id="p1")
    return {
        "player": player,
        "login": LoginFactory(id="l1", player_id="p1"),
        "transaction": TransactionFactory(id="t1", player_id="p1"),
        "wallet": WalletFactory(id="w1", player_id="p1"),
        "action": GameActionFactory(id="a1", player_id="p1"),
        "bet": bet,
        "selection": BetSelectionFactory(id="sel1", bet_id=bet.id, event_id=event.id),
        "key": issue_key("puller")[0],
        "field": custom_field_define(name="vip_level", type="integer"),
    }


def form_data(response: Any) -> dict[str, Any]:
    """The POST data that submits an admin change form as it was rendered."""
    data: dict[str, Any] = {}
    for bound in response.context["adminform"].form:
        widget, value = bound.field.widget, bound.value()
        if isinstance(widget, MultiWidget):
            for n, (sub, part) in enumerate(zip(widget.widgets, widget.decompress(value))):
                data[f"{bound.html_name}_{n}"] = sub.format_value(part) or ""
        elif isinstance(widget, CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif value is not None:
            formatted = widget.format_value(value)
            data[bound.html_name] = formatted[0] if isinstance(formatted, list) else formatted
    return data


def test_every_feed_model_is_registered():
    names = {model._meta.label for model in registered()}
    assert names == {
        "players.Player",
        "players.Contact",
        "players.Login",
        "players.CustomField",
        "payments.Transaction",
        "payments.Wallet",
        "games.GameAction",
        "games.GameSession",
        "sports.Tournament",
        "sports.SportEvent",
        "sports.Bet",
        "sports.BetSelection",
        "access.ApiKey",
    }


def test_feed_admins_browse_by_their_window_timestamp_without_counting_the_table():
    for model in registered():
        model_admin = admin.site._registry[model]
        if isinstance(model_admin, FeedRowAdmin):
            assert model_admin.date_hierarchy == model.window_field, model
            assert model_admin.show_full_result_count is False


def test_every_changelist_loads(admin_client, rows):
    for model in registered():
        response = admin_client.get(url(model, "changelist"))
        assert response.status_code == 200, model
        assert len(response.context["cl"].result_list) >= 1, model


def test_every_changelist_filters_by_its_list_filters_and_searches(admin_client, rows):
    for model in registered():
        response = admin_client.get(url(model, "changelist"), {"q": "p1"})
        assert response.status_code == 200, model
        changelist = response.context["cl"]
        for spec in changelist.filter_specs:
            for choice in spec.choices(changelist):
                filtered = admin_client.get(url(model, "changelist") + choice["query_string"])
                assert filtered.status_code == 200, (model, choice["query_string"])


def test_every_change_and_add_page_loads(admin_client, rows):
    for model in registered():
        obj = model._default_manager.first()
        assert admin_client.get(url(model, "change", obj.pk)).status_code == 200, model
        # Game sessions are the games feed's aggregates, shown read only.
        writable = 403 if model is GameSession else 200
        assert admin_client.get(url(model, "add")).status_code == writable, model
        assert admin_client.get(url(model, "delete", obj.pk)).status_code == writable, model


def test_feed_changelists_drill_down_by_date(admin_client, rows):
    # The factories stamp every row at 2020-10-10 07:30:00.
    for model in registered():
        if isinstance(admin.site._registry[model], FeedRowAdmin):
            day = {f"{model.window_field}__{part}": value for part, value in [("year", 2020), ("month", 10), ("day", 10)]}
            response = admin_client.get(url(model, "changelist"), day)
            assert response.status_code == 200, model
            assert len(response.context["cl"].result_list) >= 1, model


def test_window_timestamps_are_read_only(admin_client, rows):
    response = admin_client.get(url(Transaction, "change", "t1"))
    assert "updated_at" not in response.context["adminform"].form.fields
    assert "created_at" in response.context["adminform"].form.fields


def test_player_page_links_to_the_players_rows(admin_client, rows):
    TransactionFactory(id="t2", player_id="p1")
    body = admin_client.get(url(Player, "change", "p1")).content.decode()
    assert url(Transaction, "changelist") + "?player__id__exact=p1" in body
    assert "transactions (2)" in body
    for name in ("wallets (1)", "logins (1)", "game actions (1)", "bets (1)", ">contact<"):
        assert name in body

    listed = admin_client.get(url(Transaction, "changelist"), {"player__id__exact": "p1"})
    assert sorted(row.id for row in listed.context["cl"].result_list) == ["t1", "t2"]


def test_player_without_contact_offers_to_add_one(admin_client):
    PlayerFactory(id="lonely")
    body = admin_client.get(url(Player, "change", "lonely")).content.decode()
    assert "no contact loaded" in body


def test_a_transaction_of_a_player_not_loaded_yet_is_listed_shown_and_saved(admin_client, rows):
    TransactionFactory(id="orphan", player_id="ghost", updated_at=at("2020-10-10 07:30:00"))

    listed = admin_client.get(url(Transaction, "changelist"))
    assert "orphan" in [row.id for row in listed.context["cl"].result_list]
    assert admin_client.get(url(Player, "change", "p1")).status_code == 200

    page = admin_client.get(url(Transaction, "change", "orphan"))
    assert page.status_code == 200
    data = {**form_data(page), "comment": "checked by support"}
    assert data["player_id"] == "ghost"
    response = admin_client.post(url(Transaction, "change", "orphan"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    saved = Transaction.objects.get(id="orphan")
    assert (saved.player_id, saved.comment) == ("ghost", "checked by support")
    assert saved.updated_at > at("2020-10-10 07:30:00")


def test_a_reference_can_be_changed_to_a_player_not_loaded_yet(admin_client, rows):
    page = admin_client.get(url(Transaction, "change", "t1"))
    response = admin_client.post(url(Transaction, "change", "t1"), {**form_data(page), "player_id": "later"})
    assert response.status_code == 302
    assert Transaction.objects.get(id="t1").player_id == "later"


def test_a_contact_cannot_be_added_twice_for_a_player(admin_client, rows):
    page = admin_client.get(url(Contact, "add"))
    data = {**form_data(page), "player_id": "p1", "created_at_0": "2020-10-10", "created_at_1": "07:00:00"}
    response = admin_client.post(url(Contact, "add"), data)
    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.errors)


def test_editing_custom_values_stores_canonical_text_and_moves_modified_at(admin_client, rows):
    for name, type in [("lifetime_value", "decimal"), ("last_deposit", "datetime"), ("segment", "string")]:
        custom_field_define(name=name, type=type)
    before = Player.objects.get(id="p1").modified_at

    page = admin_client.get(url(Player, "change", "p1"))
    data = {
        **form_data(page),
        "custom__vip_level": "007",
        "custom__lifetime_value": "12.5",
        "custom__last_deposit": "2020-10-10 07:00:00",
        "custom__segment": "gold",
    }
    response = admin_client.post(url(Player, "change", "p1"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    player = Player.objects.get(id="p1")
    assert player.custom == {
        "vip_level": "7",
        "lifetime_value": "12.50",
        "last_deposit": "2020-10-10 07:00:00",
        "segment": "gold",
    }
    assert player.modified_at > before


def test_clearing_a_custom_value_removes_it(admin_client, rows):
    Player.objects.filter(id="p1").update(custom={"vip_level": "3"})
    page = admin_client.get(url(Player, "change", "p1"))
    assert form_data(page)["custom__vip_level"] == "3"
    response = admin_client.post(url(Player, "change", "p1"), {**form_data(page), "custom__vip_level": ""})
    assert response.status_code == 302
    assert Player.objects.get(id="p1").custom == {}


def test_saving_an_unchanged_player_does_not_move_modified_at(admin_client, rows):
    before = Player.objects.get(id="p1").modified_at
    page = admin_client.get(url(Player, "change", "p1"))
    assert admin_client.post(url(Player, "change", "p1"), form_data(page)).status_code == 302
    assert Player.objects.get(id="p1").modified_at == before


def test_saving_a_player_with_untouched_custom_values_does_not_move_modified_at(admin_client, rows):
    for name, type in [("lifetime_value", "decimal"), ("last_deposit", "datetime"), ("segment", "string")]:
        custom_field_define(name=name, type=type)
    stored = {"vip_level": "3", "lifetime_value": "12.50", "last_deposit": "2020-10-10 07:00:00", "segment": "gold"}
    Player.objects.filter(id="p1").update(custom=stored)
    before = Player.objects.get(id="p1").modified_at

    page = admin_client.get(url(Player, "change", "p1"))
    data = form_data(page)
    assert data["custom__lifetime_value"] == "12.50"
    assert data["custom__last_deposit"] == "2020-10-10 07:00:00"
    # The same value in another spelling is no change either.
    response = admin_client.post(url(Player, "change", "p1"), {**data, "custom__lifetime_value": "12.5"})
    assert response.status_code == 302
    player = Player.objects.get(id="p1")
    assert (player.custom, player.modified_at) == (stored, before)


def test_a_player_is_added_with_custom_values(admin_client, rows):
    page = admin_client.get(url(Player, "add"))
    data = {
        **form_data(page),
        "id": "p9",
        "registered_at_0": "2020-10-10",
        "registered_at_1": "07:00:00",
        "custom__vip_level": "2",
    }
    response = admin_client.post(url(Player, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    player = Player.objects.get(id="p9")
    assert player.custom == {"vip_level": "2"}
    assert player.modified_at is not None


def test_an_invalid_custom_value_is_refused(admin_client, rows):
    page = admin_client.get(url(Player, "change", "p1"))
    response = admin_client.post(url(Player, "change", "p1"), {**form_data(page), "custom__vip_level": "many"})
    assert response.status_code == 200
    assert "custom__vip_level" in response.context["adminform"].form.errors
    assert Player.objects.get(id="p1").custom == {}


def test_custom_field_clashing_with_a_standard_column_is_refused(admin_client):
    response = admin_client.post(url(CustomField, "add"), {"name": "country", "type": "string"})
    assert response.status_code == 200
    assert "clashes with the standard users column" in str(response.context["adminform"].form.errors)
    assert not CustomField.objects.exists()


@pytest.mark.parametrize("name", ["vip_level\n", "vip_level\r\n", " vip_level"])
def test_custom_field_name_with_a_line_break_or_space_is_refused_not_trimmed(admin_client, name):
    response = admin_client.post(url(CustomField, "add"), {"name": name, "type": "string"})
    assert response.status_code == 200
    assert "is not a valid field name" in str(response.context["adminform"].form.errors)
    assert not CustomField.objects.exists()


def test_custom_field_is_defined_from_the_admin(admin_client):
    response = admin_client.post(url(CustomField, "add"), {"name": "vip_level", "type": "integer"})
    assert response.status_code == 302
    assert CustomField.objects.get().type == "integer"


def test_api_key_secret_is_shown_once_on_the_answer_that_made_it_and_only_its_hash_is_stored(admin_client):
    response = admin_client.post(url(ApiKey, "add"), {"name": "InTarget production"})
    # The answer to the POST itself: no redirect to a page that would need the secret kept.
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = re.findall(r'<code id="issued-secret">(ie_[^<]+)</code>', response.content.decode())
    assert len(shown) == 1
    secret = shown[0]

    key = ApiKey.objects.get()
    assert key.name == "InTarget production"
    assert key.key_hash == hash_key(secret)
    assert secret.startswith(key.prefix)
    assert ApiKey.objects.for_key(secret) == key

    # Stored nowhere meanwhile: no message waits in the session table.
    assert all(secret not in json.dumps(session.get_decoded(), default=str) for session in Session.objects.all())
    for page in (url(ApiKey, "changelist"), url(ApiKey, "change", key.pk)):
        body = admin_client.get(page).content.decode()
        assert secret not in body
        assert key.key_hash not in body
    assert not list(get_messages(admin_client.get(url(ApiKey, "changelist")).wsgi_request))


def test_revoke_action_revokes_the_selected_keys(admin_client):
    kept, kept_secret = issue_key("kept")
    revoked, revoked_secret = issue_key("revoked")
    response = admin_client.post(
        url(ApiKey, "changelist"), {"action": "revoke_keys", "_selected_action": [revoked.pk]}, follow=True
    )
    assert response.status_code == 200
    assert ApiKey.objects.for_key(revoked_secret) is None
    assert ApiKey.objects.for_key(kept_secret) == kept
    revoked.refresh_from_db()
    assert revoked.revoked_at is not None and revoked.revoked_at <= dt.datetime.now(dt.timezone.utc)
