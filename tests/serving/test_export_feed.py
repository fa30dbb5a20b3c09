"""``manage.py export_feed`` (feeds.md section 5): exactly the bytes of ``GET /api/<feed>``."""

import io
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from players.services import custom_field_define
from tests.support.factories import GameActionFactory, PlayerFactory, TournamentFactory, TransactionFactory, at

pytestmark = pytest.mark.django_db

FROM, TO = "2020-10-10 07:00:00", "2020-10-10 08:00:00"
WINDOW = {"from": FROM, "to": TO}


def export(tmp_path, feed, *args, name="out"):
    path = tmp_path / name
    call_command("export_feed", feed, "--from", FROM, "--to", TO, *args, "--output", str(path))
    return path.read_bytes()


def http_body(client, feed, **params):
    response = client.get(f"/api/{feed}", {**WINDOW, **params})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def players(db):
    custom_field_define(name="vip_level", type="integer")
    custom_field_define(name="ltv", type="decimal")
    common = dict(
        gender="female",
        country="CY",
        city="Limassol",
        ip="10.0.0.1",
        birthday=None,
        registered_at=at("2020-01-02 03:04:05"),
        user_agent="Mozilla/5.0",
        locale="en_US",
    )
    PlayerFactory(id="u1", first_name="Anna", last_name="Smith, Jr.", modified_at=at("2020-10-10 07:10:00"),
                  custom={"vip_level": "3", "ltv": "12.50"}, **common)
    PlayerFactory(id="u2", first_name="Bob", last_name='O"Brien', modified_at=at("2020-10-10 07:20:00.5"),
                  is_blocked=True, custom={}, **common)
    PlayerFactory(id="u3", first_name="Late", last_name="Row", modified_at=at("2020-10-10 08:00:00"), **common)


@pytest.fixture
def game_actions(db):
    GameActionFactory(id="a1", session_id="s1", action="bet", amount=Decimal("1.5"), created_at=at("2020-10-10 06:50:00"))
    GameActionFactory(id="a2", session_id="s1", action="win", amount=Decimal("4"), created_at=at("2020-10-10 07:10:00"))
    GameActionFactory(id="a3", session_id="s2", player_id="p2", action="bet", amount=Decimal("0.00000001"),
                      game_name="Poker, Texas", created_at=at("2020-10-10 07:20:00"))
    GameActionFactory(id="a4", session_id="s3", created_at=at("2020-10-10 09:00:00"))


USERS_CSV = (
    b"id,first_name,last_name,gender,country,city,ip,birthday,registered_at,ref_code,traffic_source,"
    b"user_agent,modified_at,is_blocked,self_excluded,locale,vip_level,ltv\n"
    b'u1,Anna,"Smith, Jr.",female,CY,Limassol,10.0.0.1,,2020-01-02 03:04:05,aff-1,google,'
    b"Mozilla/5.0,2020-10-10 07:10:00,false,false,en_US,3,12.50\n"
    b'u2,Bob,"O""Brien",female,CY,Limassol,10.0.0.1,,2020-01-02 03:04:05,aff-1,google,'
    b"Mozilla/5.0,2020-10-10 07:20:00,true,false,en_US,,\n"
)

GAMES_CSV = (
    b"player_id,session_id,game_code,game_name,currency,bet_count,win_count,bet_amount,win_amount,"
    b"created_at,updated_at,game_vendor,balance_type,ip,user_agent,ref_code\n"
    b"p1,s1,book-of-ra,Book of Ra,EUR,1,1,1.5,4,2020-10-10 06:50:00,2020-10-10 07:10:00,"
    b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,\n"
    b'p2,s2,book-of-ra,"Poker, Texas",EUR,1,0,0.00000001,0,2020-10-10 07:20:00,2020-10-10 07:20:00,'
    b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,\n"
)


def test_users_with_custom_fields_export_as_csv_exactly_as_the_api_serves(tmp_path, players, client_with_key):
    exported = export(tmp_path, "users")
    assert exported == USERS_CSV
    assert exported == http_body(client_with_key, "users")


def test_users_with_custom_fields_export_as_json_exactly_as_the_api_serves(tmp_path, players, client_with_key):
    exported = export(tmp_path, "users", "--format", "json")
    assert exported == http_body(client_with_key, "users", format="json")
    assert exported.startswith(b'[{"id":"u1","first_name":"Anna","last_name":"Smith, Jr.",')
    assert b'"vip_level":3,"ltv":12.50}' in exported
    assert b'"vip_level":null,"ltv":null}]' in exported


def test_games_export_as_csv_exactly_as_the_api_serves(tmp_path, game_actions, client_with_key):
    exported = export(tmp_path, "games")
    assert exported == GAMES_CSV
    assert exported == http_body(client_with_key, "games")


def test_games_export_as_json_exactly_as_the_api_serves(tmp_path, game_actions, client_with_key):
    exported = export(tmp_path, "games", "--format", "json")
    assert exported == http_body(client_with_key, "games", format="json")
    assert exported.count(b'"session_id":') == 2
    assert b'"bet_amount":0.00000001,"win_amount":0,' in exported


def test_csv_is_the_default_format(tmp_path, players):
    assert export(tmp_path, "users") == export(tmp_path, "users", "--format", "csv", name="explicit")


def test_an_empty_window_exports_the_header_line_or_an_empty_array(tmp_path, db, client_with_key):
    assert export(tmp_path, "transactions") == (
        b"id,player_id,amount,currency,type,status,payment_system,dir,created_at,updated_at,"
        b"invoice_id,wallet_id,user_agent,ip,requisite,comment\n"
    )
    assert export(tmp_path, "transactions", "--format", "json", name="json") == b"[]"


def test_output_writes_the_file_and_leaves_nothing_else(tmp_path, db):
    TransactionFactory(id="t1", player_id="p1", updated_at=at("2020-10-10 07:10:00"))
    target = tmp_path / "exports" / "transactions.csv"
    target.parent.mkdir()
    out = io.StringIO()
    call_command("export_feed", "transactions", "--from", FROM, "--to", TO, "--output", str(target), stdout=out)
    assert target.read_bytes().splitlines()[1:] == [
        b"t1,p1,100,USD,Normal,Success,visa,IN,2020-10-10 07:05:00,2020-10-10 07:10:00,,,,,4111 **** **** 1111,"
    ]
    assert list(target.parent.iterdir()) == [target]


def test_output_replaces_an_existing_file(tmp_path, db):
    target = tmp_path / "t.json"
    target.write_bytes(b"old content that is longer than the new one")
    call_command("export_feed", "transactions", "--from", FROM, "--to", TO, "--format", "json", "--output", str(target))
    assert target.read_bytes() == b"[]"


def test_without_output_the_bytes_go_to_stdout(capsysbinary, players):
    call_command("export_feed", "users", "--from", FROM, "--to", TO)
    assert capsysbinary.readouterr().out == USERS_CSV


def test_stdout_json_is_the_api_body(capsysbinary, game_actions, client_with_key):
    call_command("export_feed", "games", "--from", FROM, "--to", TO, "--format", "json")
    assert capsysbinary.readouterr().out == http_body(client_with_key, "games", format="json")


def test_stdout_through_a_redirected_sys_stdout(monkeypatch, game_actions):
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer, encoding="utf-8"))
    call_command("export_feed", "games", "--from", FROM, "--to", TO)
    assert buffer.getvalue() == GAMES_CSV


def test_optional_window_feeds_export_everything_without_bounds(capsysbinary, db, client_with_key):
    TournamentFactory(id="old", modified_at=at("2019-01-01 00:00:00"))
    TournamentFactory(id="new", modified_at=at("2020-10-10 07:10:00"))
    call_command("export_feed", "tournaments")
    exported = capsysbinary.readouterr().out
    response = client_with_key.get("/api/tournaments")
    assert exported == b"".join(response.streaming_content)
    assert [line.split(b",")[0] for line in exported.splitlines()[1:]] == [b"old", b"new"]


# --- refused -------------------------------------------------------------------------


# A date alone is a time now (its midnight: test_export_feed_times.py); a date with a
# short time, or no such day, is not.
@pytest.mark.parametrize(
    "value", ["yesterday", "2020-10-10 7:00", "2020-02-30", "2020-13-01 00:00:00", "2020-10-10 07:00:00+02:00"]
)
def test_a_bad_from_is_a_command_error_naming_from(tmp_path, db, value):
    with pytest.raises(CommandError, match="--from") as excinfo:
        call_command("export_feed", "transactions", "--from", value, "--to", TO, "--output", str(tmp_path / "out"))
    assert "YYYY-MM-DD HH:MM:SS" in str(excinfo.value)
    assert not (tmp_path / "out").exists()


def test_a_bad_to_is_a_command_error_naming_to(db):
    with pytest.raises(CommandError, match="--to"):
        call_command("export_feed", "transactions", "--from", FROM, "--to", "tomorrow")


def test_a_missing_from_is_a_command_error_naming_from(db):
    with pytest.raises(CommandError, match="--from"):
        call_command("export_feed", "transactions", "--to", TO)


def test_from_later_than_to_is_a_command_error(db):
    with pytest.raises(CommandError, match="--from"):
        call_command("export_feed", "transactions", "--from", TO, "--to", FROM)


def test_a_window_ending_in_the_future_is_a_command_error(tmp_path, db):
    TransactionFactory(updated_at=at("2020-10-10 07:10:00"))
    with pytest.raises(CommandError, match="in the future"):
        call_command(
            "export_feed", "transactions", "--from", FROM, "--to", "2999-01-01 00:00:00", "--output", str(tmp_path / "out")
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("feed", ["game-actions", "players"])
def test_a_feed_that_is_not_served_cannot_be_exported(db, feed):
    with pytest.raises(CommandError, match=f"no served feed '{feed}'"):
        call_command("export_feed", feed, "--from", FROM, "--to", TO)
