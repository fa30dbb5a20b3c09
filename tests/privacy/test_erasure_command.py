"""``manage.py erase_player <id> [--operator NAME]`` (operations.md section 11): what it
prints, what it records, which rows it stamps, and its exit status."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from feeds.stamping import preserve_timestamps
from games.models import GameAction
from payments.models import Wallet
from players.models import Login, Player
from players.services import custom_field_define
from privacy.models import Erasure
from privacy.services import player_erase
from tests.support.clock import stamping_span
from tests.support.factories import (
    ContactFactory,
    GameActionFactory,
    LoginFactory,
    PlayerFactory,
    TransactionFactory,
    WalletFactory,
    at,
)
from tests.support.servers import run_manage, shared_database_env

pytestmark = pytest.mark.django_db

SEEDED_AT = at("2020-10-10 07:30:00")


def erase_player(*args: str) -> str:
    out = io.StringIO()
    call_command("erase_player", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def player(db) -> Player:
    player = PlayerFactory(id="p1", custom={})
    ContactFactory(player=player, push_token="tok")
    LoginFactory(id="l1", player_id="p1", user_agent=None)
    TransactionFactory(id="t1", player_id="p1", ip="10.0.0.1", user_agent=None, requisite="4111", comment=None)
    GameActionFactory(id="a1", session_id="s1", player_id="p1")
    GameActionFactory(id="a2", session_id="s2", player_id="p1")
    return player


def test_it_prints_per_table_how_many_rows_and_which_columns_it_blanked(player):
    out = erase_player("p1", "--operator", "dpo@example.com")
    first, *tables = out.splitlines()
    assert first.startswith("erased the personal data of player p1 at ")
    assert first.endswith(" UTC by dpo@example.com: 6 row(s) changed")
    assert tables == [
        "  users (players_player): 1 row: first_name, last_name, gender, city, ip, birthday, user_agent",
        "  contacts (players_contact): 1 row: email, email_confirmed_at, phone, push_token",
        "  logins (players_login): 1 row: ip",
        "  transactions (payments_transaction): 1 row: ip, requisite",
        "  game-actions (games_gameaction): 2 rows: ip, user_agent; 2 games session(s) served again",
        "  bets (sports_bet): 0 rows",
        "  admin history (django_admin_log): 0 rows",
    ]


def test_the_record_says_who_erased_whom_when_and_what_changed_but_holds_no_erased_value(player):
    with stamping_span() as span:
        erase_player("p1", "--operator", "dpo@example.com")
    erasure = Erasure.objects.get()
    assert (erasure.player_id, erasure.operator, erasure.via) == ("p1", "dpo@example.com", "command")
    assert erasure.erased_at in span
    assert erasure.changes[3] == {
        "feed": "transactions", "table": "payments_transaction", "rows": 1, "fields": ["ip", "requisite"]
    }
    assert "10.0.0.1" not in str(erasure.changes) and "4111" not in str(erasure.changes)


def test_the_operator_is_the_os_user_unless_given(player, monkeypatch):
    monkeypatch.setenv("LOGNAME", "alice")
    erase_player("p1")
    assert Erasure.objects.get().operator == "alice"


def test_an_empty_operator_is_refused_and_nothing_is_erased(player):
    with pytest.raises(CommandError, match="must name who made it"):
        erase_player("p1", "--operator", " ")
    assert Player.objects.get(id="p1").first_name == player.first_name
    assert not Erasure.objects.exists()


def test_an_unknown_id_is_refused_with_a_clear_message_and_nothing_is_recorded(player):
    with pytest.raises(CommandError, match="unknown player 'p9': no feed holds a row for it; nothing was erased"):
        erase_player("p9")
    assert not Erasure.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_unknown_id_exits_with_status_1(tmp_path):
    done = run_manage(shared_database_env(tmp_path), "erase_player", "nobody", "--operator", "dpo")
    assert done.returncode == 1
    assert "unknown player 'nobody'" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_changed_row_is_stamped_at_the_erasure_and_no_other_row_moves(player):
    LoginFactory(id="l-empty", player_id="p1", ip=None, user_agent=None)  # nothing personal: not changed
    WalletFactory(id="w1", player_id="p1")
    PlayerFactory(id="p2")
    with stamping_span() as span:
        erasure = player_erase(player_id="p1", operator="dpo", via="command")
    assert Player.objects.get(id="p1").modified_at in span
    assert Login.objects.get(id="l1").created_at in span  # logins are windowed by created_at
    assert all(recorded in span for recorded in GameAction.objects.values_list("recorded_at", flat=True))
    # The action time is the product's, and stays.
    assert set(GameAction.objects.values_list("created_at", flat=True)) == {SEEDED_AT}
    assert Login.objects.get(id="l-empty").created_at == SEEDED_AT
    assert Wallet.objects.get(id="w1").modified_at == SEEDED_AT
    assert Player.objects.get(id="p2").modified_at == SEEDED_AT
    assert erasure.erased_at >= Player.objects.get(id="p1").modified_at


def test_string_custom_values_and_undefined_ones_go_the_others_stay(db):
    for name, type in [("nickname", "string"), ("vip_level", "integer"), ("ltv", "decimal"), ("last_seen", "datetime")]:
        custom_field_define(name=name, type=type)
    values = {"nickname": "ada99", "vip_level": "3", "ltv": "12.50", "last_seen": "2020-10-01 00:00:00", "old": "x"}
    PlayerFactory(id="p1", first_name=None, last_name=None, gender=None, city=None, ip=None, birthday=None,
                  user_agent=None, custom=values)
    out = erase_player("p1", "--operator", "dpo")
    assert "  users (players_player): 1 row: nickname, old" in out.splitlines()
    assert Player.objects.get(id="p1").custom == {"vip_level": "3", "ltv": "12.50", "last_seen": "2020-10-01 00:00:00"}


def test_rows_of_a_player_not_loaded_yet_are_erased_all_the_same(db):
    LoginFactory(id="l1", player_id="early", ip="10.0.0.9")
    out = erase_player("early", "--operator", "dpo")
    assert "  logins (players_login): 1 row: ip, user_agent" in out.splitlines()
    assert Login.objects.get(id="l1").ip is None


def test_erasing_again_changes_nothing_and_is_recorded(player):
    erase_player("p1", "--operator", "dpo")
    stamped = Player.objects.get(id="p1").modified_at
    out = erase_player("p1", "--operator", "dpo")
    assert ": 0 row(s) changed" in out.splitlines()[0]
    assert Player.objects.get(id="p1").modified_at == stamped
    assert Erasure.objects.count() == 2


def test_an_erasure_is_refused_where_stamps_are_kept(player):
    # Kept stamps would leave the erased rows in windows already served.
    with preserve_timestamps(), pytest.raises(RuntimeError, match="must be stamped"):
        player_erase(player_id="p1", operator="dpo", via="command")


def test_an_empty_string_is_already_blank(db):
    PlayerFactory(id="p1", first_name="", last_name=None, gender=None, city=None, ip=None, birthday=None,
                  user_agent=None, custom={})
    TransactionFactory(id="t1", player_id="p1", requisite=None)
    out = erase_player("p1", "--operator", "dpo")
    assert "  users (players_player): 0 rows" in out.splitlines()
    assert Player.objects.get(id="p1").modified_at == SEEDED_AT
