"""Erasure end to end (operations.md section 11): a player with rows in every feed is
pulled, erased, and the next window serves every changed row with its personal columns
blank, in CSV and JSON, while ids, amounts and the other players stay as they were."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from feeds.columns import format_timestamp
from games.models import GameAction
from payments.models import Transaction
from players.models import Contact, Login, Player
from players.services import custom_field_define
from privacy.models import Erasure
from privacy.services import player_erase
from sports.models import Bet
from tests.support.api import WINDOW, get
from tests.support.clock import closed_window, stamping_span
from tests.support.factories import (
    BetFactory,
    BetSelectionFactory,
    ContactFactory,
    GameActionFactory,
    LoginFactory,
    PlayerFactory,
    TransactionFactory,
    WalletFactory,
    at,
)

pytestmark = pytest.mark.django_db

FEEDS = ("users", "contacts", "logins", "transactions", "wallets", "games", "bets", "bet-selections")
UA = "Mozilla/5.0 (X11; Linux x86_64)"
# Every personal value of p1: none may be served once p1 is erased.
PERSONAL_VALUES = (
    "Ada", "Lovelace", "female", "London", "203.0.113.5", "1990-12-10", UA, "ada@example.com",
    "+44 20 7946 0000", "2020-09-01 10:05:00", "2020-09-02 11:00:00", "push-tok-1", "4111 **** **** 1111",
    "paid by Ada", "ada99",
)


@pytest.fixture
def seeded(db) -> None:
    """p1 in every feed, every personal column filled; p2 beside it, never erased."""
    custom_field_define(name="nickname", type="string")
    custom_field_define(name="vip_level", type="integer")
    PlayerFactory(
        id="p1", first_name="Ada", last_name="Lovelace", gender="female", country="GB", city="London",
        ip="203.0.113.5", birthday=dt.date(1990, 12, 10), registered_at=at("2020-09-01 10:00:00"), ref_code="aff-1",
        traffic_source="google", user_agent=UA, modified_at=at("2020-10-10 07:30:00"), is_blocked=False,
        self_excluded=True, locale="en_GB", custom={"nickname": "ada99", "vip_level": "3"},
    )
    PlayerFactory(
        id="p2", first_name="Grace", last_name="Hopper", gender="male", country="GB", city="Arlington",
        ip="198.51.100.9", birthday=None, registered_at=at("2020-09-01 10:00:00"), ref_code="aff-1",
        traffic_source="google", user_agent="curl/8", modified_at=at("2020-10-10 07:30:00"), is_blocked=False,
        self_excluded=False, locale="en_GB", custom={"vip_level": "1"},
    )
    ContactFactory(
        player=Player.objects.get(id="p1"), email="ada@example.com", email_confirmed_at=at("2020-09-01 10:05:00"), email_subscribe=True,
        phone="+44 20 7946 0000", phone_subscribe=False, phone_confirmed_at=at("2020-09-02 11:00:00"),
        push_token="push-tok-1", created_at=at("2020-09-01 10:00:00"), modified_at=at("2020-10-10 07:30:00"),
    )
    LoginFactory(id="l1", player_id="p1", ip="203.0.113.5", ref_code="aff-1", traffic_source="google", user_agent=UA,
                 host="casino.example", is_success=True, fail_reason=None)
    LoginFactory(id="l2", player_id="p2", ip="198.51.100.9", ref_code=None, traffic_source=None, user_agent="curl/8",
                 host="casino.example", is_success=False, fail_reason="wrong password")
    TransactionFactory(id="t1", player_id="p1", amount=Decimal("100.5"), currency="EUR", invoice_id="inv-1",
                       wallet_id="w1", user_agent=UA, ip="203.0.113.5", requisite="4111 **** **** 1111",
                       comment="paid by Ada", created_at=at("2020-10-10 07:25:00"))
    WalletFactory(id="w1", player_id="p1", balance=Decimal("50.25"), currency="EUR", created_at=at("2020-10-08 07:30:00"))
    GameActionFactory(id="a1", session_id="s1", player_id="p1", action="bet", amount=Decimal("2.5"), ip="203.0.113.5",
                      user_agent=UA, ref_code="aff-1", created_at=at("2020-10-10 07:30:00"))
    GameActionFactory(id="a2", session_id="s1", player_id="p1", action="win", amount=Decimal("4"), ip="203.0.113.5",
                      user_agent=UA, ref_code="aff-1", created_at=at("2020-10-10 07:31:00"))
    BetFactory(id="b1", player_id="p1", stake=Decimal("10"), user_agent=UA)
    BetSelectionFactory(id="sel1", bet_id="b1", event_id="ev1")


def pull(client, feed: str, window: dict[str, str], format: str = "csv") -> bytes:
    return get(client, feed, **window, format=format)


def stamp(model, **lookup) -> str:
    row = model._default_manager.get(**lookup)
    return format_timestamp(getattr(row, model.window_field))


def erase() -> tuple[Erasure, dict[str, str]]:
    with stamping_span() as span:
        erasure = player_erase(player_id="p1", operator="dpo", via=Erasure.Via.COMMAND)
    return erasure, closed_window(span)


def test_the_next_window_serves_the_erased_player_with_personal_columns_blank_in_csv(seeded, client_with_key):
    erasure, after = erase()
    s = {
        "users": stamp(Player, id="p1"), "contacts": stamp(Contact, player_id="p1"), "logins": stamp(Login, id="l1"),
        "transactions": stamp(Transaction, id="t1"), "bets": stamp(Bet, id="b1"),
    }
    assert pull(client_with_key, "users", after) == (
        b"id,first_name,last_name,gender,country,city,ip,birthday,registered_at,ref_code,traffic_source,user_agent,"
        b"modified_at,is_blocked,self_excluded,locale,nickname,vip_level\n"
        + f"p1,,,,GB,,,,2020-09-01 10:00:00,aff-1,google,,{s['users']},false,true,en_GB,,3\n".encode()
    )
    assert pull(client_with_key, "contacts", after) == (
        b"player_id,email,email_confirmed_at,email_subscribe,phone,phone_subscribe,phone_confirmed_at,push_token,"
        b"created_at,modified_at\n" + f"p1,,,true,,false,,,2020-09-01 10:00:00,{s['contacts']}\n".encode()
    )
    assert pull(client_with_key, "logins", after) == (
        b"id,player_id,ip,created_at,ref_code,traffic_source,user_agent,host,is_success,fail_reason\n"
        + f"l1,p1,,{s['logins']},aff-1,google,,casino.example,1,\n".encode()
    )
    assert pull(client_with_key, "transactions", after) == (
        b"id,player_id,amount,currency,type,status,payment_system,dir,created_at,updated_at,invoice_id,wallet_id,"
        b"user_agent,ip,requisite,comment\n"
        + f"t1,p1,100.5,EUR,Normal,Success,visa,IN,2020-10-10 07:25:00,{s['transactions']},inv-1,w1,,,,\n".encode()
    )
    # The session is served again through its re-recorded actions; its own times are the actions'.
    assert pull(client_with_key, "games", after) == (
        b"player_id,session_id,game_code,game_name,currency,bet_count,win_count,bet_amount,win_amount,created_at,"
        b"updated_at,game_vendor,balance_type,ip,user_agent,ref_code\n"
        b"p1,s1,book-of-ra,Book of Ra,EUR,1,1,2.5,4,2020-10-10 07:30:00,2020-10-10 07:31:00,Novomatic,Normal,,,aff-1\n"
    )
    assert pull(client_with_key, "bets", after) == (
        b"id,player_id,status,type,stake,win_amount,currency,kind,created_at,user_agent,modified_at\n"
        + f"b1,p1,open,single,10,,EUR,Normal,2020-10-10 07:30:00,,{s['bets']}\n".encode()
    )
    # Nothing personal in them: not changed, not served again.
    assert pull(client_with_key, "wallets", after) == b"id,player_id,type,balance,currency,created_at,modified_at\n"
    assert pull(client_with_key, "bet-selections", after).count(b"\n") == 1
    assert erasure.rows_changed == 7  # p1, its contact, l1, t1, a1, a2, b1


def test_the_next_window_serves_the_erased_player_with_personal_values_null_in_json(seeded, client_with_key):
    _, after = erase()
    users = stamp(Player, id="p1")
    assert pull(client_with_key, "users", after, "json") == (
        b'[{"id":"p1","first_name":null,"last_name":null,"gender":null,"country":"GB","city":null,"ip":null,'
        b'"birthday":null,"registered_at":"2020-09-01 10:00:00","ref_code":"aff-1","traffic_source":"google",'
        b'"user_agent":null,"modified_at":"' + users.encode() + b'","is_blocked":false,"self_excluded":true,'
        b'"locale":"en_GB","nickname":null,"vip_level":3}]'
    )
    contacts = stamp(Contact, player_id="p1")
    assert pull(client_with_key, "contacts", after, "json") == (
        b'[{"player_id":"p1","email":null,"email_confirmed_at":null,"email_subscribe":true,"phone":null,'
        b'"phone_subscribe":false,"phone_confirmed_at":null,"push_token":null,"created_at":"2020-09-01 10:00:00",'
        b'"modified_at":"' + contacts.encode() + b'"}]'
    )
    logins = stamp(Login, id="l1")
    assert pull(client_with_key, "logins", after, "json") == (
        b'[{"id":"l1","player_id":"p1","ip":null,"created_at":"' + logins.encode() + b'","ref_code":"aff-1",'
        b'"traffic_source":"google","user_agent":null,"host":"casino.example","is_success":1,"fail_reason":null}]'
    )
    transactions = stamp(Transaction, id="t1")
    assert pull(client_with_key, "transactions", after, "json") == (
        b'[{"id":"t1","player_id":"p1","amount":100.5,"currency":"EUR","type":"Normal","status":"Success",'
        b'"payment_system":"visa","dir":"IN","created_at":"2020-10-10 07:25:00","updated_at":"'
        + transactions.encode() + b'","invoice_id":"inv-1","wallet_id":"w1","user_agent":null,"ip":null,'
        b'"requisite":null,"comment":null}]'
    )
    assert pull(client_with_key, "games", after, "json") == (
        b'[{"player_id":"p1","session_id":"s1","game_code":"book-of-ra","game_name":"Book of Ra","currency":"EUR",'
        b'"bet_count":1,"win_count":1,"bet_amount":2.5,"win_amount":4,"created_at":"2020-10-10 07:30:00",'
        b'"updated_at":"2020-10-10 07:31:00","game_vendor":"Novomatic","balance_type":"Normal","ip":null,'
        b'"user_agent":null,"ref_code":"aff-1"}]'
    )
    bets = stamp(Bet, id="b1")
    assert pull(client_with_key, "bets", after, "json") == (
        b'[{"id":"b1","player_id":"p1","status":"open","type":"single","stake":10,"win_amount":null,'
        b'"currency":"EUR","kind":"Normal","created_at":"2020-10-10 07:30:00","user_agent":null,'
        b'"modified_at":"' + bets.encode() + b'"}]'
    )
    assert pull(client_with_key, "wallets", after, "json") == b"[]"


def lines_without(body: bytes, *prefixes: bytes) -> list[bytes]:
    return [line for line in body.split(b"\n") if not line.startswith(prefixes)]


def test_the_earlier_window_loses_the_erased_rows_and_changes_nothing_else(seeded, client_with_key):
    before = {(feed, format): pull(client_with_key, feed, WINDOW, format) for feed in FEEDS for format in ("csv", "json")}
    _, after = erase()
    again = {(feed, format): pull(client_with_key, feed, WINDOW, format) for feed in FEEDS for format in ("csv", "json")}
    # The erased versions moved to the erasure's window: p1's rows left this one, p2's did not move.
    for feed in ("users", "contacts", "logins", "transactions", "bets"):
        key = b"p1," if feed in ("users", "contacts") else feed[0].encode() + b"1,p1,"
        assert lines_without(again[feed, "csv"]) == lines_without(before[feed, "csv"], key), feed
    assert b"p2,Grace,Hopper,male" in again["users", "csv"]
    assert b"l2,p2,198.51.100.9" in again["logins", "csv"]
    # Rows with nothing personal stay where they were, byte for byte.
    for feed in ("wallets", "bet-selections"):
        assert again[feed, "csv"] == before[feed, "csv"] and again[feed, "json"] == before[feed, "json"], feed
    # A games session is selected by its actions' own times too: it stays, now blank.
    assert again["games", "csv"].split(b"\n")[1].endswith(b"Novomatic,Normal,,,aff-1")
    # Pulled again later, the earlier window is the same: the erasure is over.
    assert {key: pull(client_with_key, key[0], WINDOW, key[1]) for key in again} == again


def test_no_personal_value_of_the_erased_player_is_served_in_any_window(seeded, client_with_key):
    before = b"".join(pull(client_with_key, feed, WINDOW, format) for feed in FEEDS for format in ("csv", "json"))
    assert all(value.encode() in before for value in PERSONAL_VALUES)  # the check below can fail
    _, after = erase()
    bodies = b"".join(
        pull(client_with_key, feed, window, format)
        for feed in FEEDS for window in (WINDOW, after) for format in ("csv", "json")
    )
    served = [value for value in PERSONAL_VALUES if value.encode() in bodies]
    assert served == []


def test_ids_and_amounts_are_kept(seeded):
    erase()
    assert Transaction.objects.values_list("id", "player_id", "amount", "currency", "invoice_id", "wallet_id").get() == (
        "t1", "p1", Decimal("100.5"), "EUR", "inv-1", "w1"
    )
    assert sorted(GameAction.objects.values_list("id", "session_id", "player_id", "amount")) == [
        ("a1", "s1", "p1", Decimal("2.5")), ("a2", "s1", "p1", Decimal("4")),
    ]
    assert Bet.objects.values_list("id", "stake").get() == ("b1", Decimal("10"))
    assert Player.objects.get(id="p1").custom == {"vip_level": "3"}
