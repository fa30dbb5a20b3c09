"""The sportsbook feeds: tournaments, sport-events, bets, bet-selections (feeds.md 4)."""

import json
from decimal import Decimal

import pytest

from tests.support.api import get, ids
from tests.support.factories import BetFactory, BetSelectionFactory, SportEventFactory, TournamentFactory, at

pytestmark = pytest.mark.django_db


TOURNAMENTS_HEADER = b"id,name,sport_id,sport_name,country_code,dateStart,dateEnd,modified_at"
EVENTS_HEADER = b"id,tournament_id,title,status,startTime,endTime,type,modified_at"
BETS_HEADER = b"id,player_id,status,type,stake,win_amount,currency,kind,created_at,user_agent,modified_at"
SELECTIONS_HEADER = b"id,bet_id,event_id,ratio,status,market,created_at,updated_at"


def tournament(**values):
    defaults = dict(
        id="tour1",
        name="Premier League",
        sport_id="1",
        sport_name="Football",
        country_code="GB",
        date_start=at("2020-08-01 12:00:00"),
        date_end=at("2021-05-30 18:30:00"),
        modified_at=at("2020-10-10 07:30:00"),
    )
    return TournamentFactory(**{**defaults, **values})


def event(**values):
    defaults = dict(
        id="ev1",
        tournament_id="tour1",
        title="Arsenal - Chelsea",
        status="finished",
        start_time=at("2020-10-09 15:00:00"),
        end_time=at("2020-10-09 16:52:00"),
        type="match",
        modified_at=at("2020-10-10 07:30:00"),
    )
    return SportEventFactory(**{**defaults, **values})


def bet(**values):
    defaults = dict(
        id="b1",
        player_id="p1",
        status="won",
        type="express",
        stake=Decimal("10.00"),
        win_amount=Decimal("18.5"),
        currency="EUR",
        kind="Prize",
        created_at=at("2020-10-09 14:00:00"),
        user_agent="Mozilla/5.0",
        modified_at=at("2020-10-10 07:30:00"),
    )
    return BetFactory(**{**defaults, **values})


def selection(**values):
    defaults = dict(
        id="sel1",
        bet_id="b1",
        event_id="ev1",
        ratio=Decimal("1.85"),
        status="won",
        market="1X2",
        created_at=at("2020-10-09 14:00:00"),
        updated_at=at("2020-10-10 07:30:00"),
    )
    return BetSelectionFactory(**{**defaults, **values})


# --- tournaments ---------------------------------------------------------------------


def test_tournaments_csv_has_camelcase_date_columns(client_with_key):
    tournament()
    assert get(client_with_key, "tournaments") == (
        TOURNAMENTS_HEADER + b"\n"
        b"tour1,Premier League,1,Football,GB,2020-08-01 12:00:00,2021-05-30 18:30:00,2020-10-10 07:30:00\n"
    )


def test_tournaments_json_has_the_keys_in_column_order(client_with_key):
    tournament()
    assert get(client_with_key, "tournaments", format="json") == (
        b'[{"id":"tour1","name":"Premier League","sport_id":"1","sport_name":"Football","country_code":"GB",'
        b'"dateStart":"2020-08-01 12:00:00","dateEnd":"2021-05-30 18:30:00","modified_at":"2020-10-10 07:30:00"}]'
    )


def test_tournaments_absent_optional_values_are_empty_in_csv_and_null_in_json(client_with_key):
    tournament(sport_id=None, sport_name=None, country_code=None, date_end=None)
    assert get(client_with_key, "tournaments") == (
        TOURNAMENTS_HEADER + b"\ntour1,Premier League,,,,2020-08-01 12:00:00,,2020-10-10 07:30:00\n"
    )
    assert get(client_with_key, "tournaments", format="json") == (
        b'[{"id":"tour1","name":"Premier League","sport_id":null,"sport_name":null,"country_code":null,'
        b'"dateStart":"2020-08-01 12:00:00","dateEnd":null,"modified_at":"2020-10-10 07:30:00"}]'
    )


def test_tournaments_without_a_window_are_all_served_ordered_by_modified_at_then_id(client_with_key):
    tournament(id="b", modified_at=at("2020-10-10 07:10:00.7"))
    tournament(id="future", modified_at=at("2020-10-10 09:00:00"))
    tournament(id="a", modified_at=at("2020-10-10 07:10:00.7"))
    tournament(id="old", modified_at=at("2015-01-01 00:00:00"))
    assert ids(get(client_with_key, "tournaments", window=False)) == ["old", "a", "b", "future"]
    rows = json.loads(get(client_with_key, "tournaments", window=False, format="json"))
    assert [row["id"] for row in rows] == ["old", "a", "b", "future"]


def test_tournaments_with_a_window_are_filtered_on_modified_at(client_with_key):
    tournament(id="at-from", date_start=at("2020-10-10 07:30:00"), modified_at=at("2020-10-10 07:00:00"))
    tournament(id="at-to", date_start=at("2020-10-10 07:30:00"), modified_at=at("2020-10-10 08:00:00"))
    tournament(id="before", modified_at=at("2020-10-10 06:59:59.999999"))
    tournament(id="last", modified_at=at("2020-10-10 07:59:59.999999"))
    assert ids(get(client_with_key, "tournaments")) == ["at-from", "last"]


# --- sport-events --------------------------------------------------------------------


def test_sport_events_csv_has_camelcase_time_columns_and_tournament_id(client_with_key):
    event()
    assert get(client_with_key, "sport-events") == (
        EVENTS_HEADER + b"\n"
        b"ev1,tour1,Arsenal - Chelsea,finished,2020-10-09 15:00:00,2020-10-09 16:52:00,match,2020-10-10 07:30:00\n"
    )


def test_sport_events_json_has_the_keys_in_column_order(client_with_key):
    event(end_time=None, status="scheduled")
    assert get(client_with_key, "sport-events", format="json") == (
        b'[{"id":"ev1","tournament_id":"tour1","title":"Arsenal - Chelsea","status":"scheduled",'
        b'"startTime":"2020-10-09 15:00:00","endTime":null,"type":"match","modified_at":"2020-10-10 07:30:00"}]'
    )


def test_sport_events_title_with_comma_and_quote_is_quoted(client_with_key):
    event(title='Real Madrid, "Los Blancos" - Barcelona')
    assert get(client_with_key, "sport-events").split(b"\n")[1] == (
        b'ev1,tour1,"Real Madrid, ""Los Blancos"" - Barcelona",finished,2020-10-09 15:00:00,'
        b"2020-10-09 16:52:00,match,2020-10-10 07:30:00"
    )


def test_sport_events_without_a_window_are_all_served_ordered_by_modified_at_then_id(client_with_key):
    event(id="ev-b", modified_at=at("2020-10-10 07:10:00.7"))
    event(id="ev-c", modified_at=at("2020-10-10 07:10:00.2"))
    event(id="ev-a", modified_at=at("2020-10-10 07:10:00.7"))
    event(id="ev-old", modified_at=at("2019-03-01 00:00:00"))
    event(id="ev-new", modified_at=at("2020-10-11 00:00:00"))
    assert ids(get(client_with_key, "sport-events", window=False)) == ["ev-old", "ev-c", "ev-a", "ev-b", "ev-new"]


def test_sport_events_with_a_window_are_filtered_on_modified_at_not_start_time(client_with_key):
    event(id="starts-inside", start_time=at("2020-10-10 07:30:00"), modified_at=at("2020-10-09 00:00:00"))
    event(id="at-from", start_time=at("2020-10-20 00:00:00"), modified_at=at("2020-10-10 07:00:00"))
    event(id="at-to", modified_at=at("2020-10-10 08:00:00"))
    assert ids(get(client_with_key, "sport-events")) == ["at-from"]


# --- bets ----------------------------------------------------------------------------


def test_bets_csv_has_the_header_and_money_as_plain_decimals(client_with_key):
    bet()
    assert get(client_with_key, "bets") == (
        BETS_HEADER + b"\n"
        b"b1,p1,won,express,10,18.5,EUR,Prize,2020-10-09 14:00:00,Mozilla/5.0,2020-10-10 07:30:00\n"
    )


def test_bets_json_has_the_keys_in_column_order_and_money_as_numbers(client_with_key):
    bet(stake=Decimal("0.00000001"), win_amount=Decimal("0E-8"), currency="BTC", kind="Normal")
    body = get(client_with_key, "bets", format="json")
    assert body == (
        b'[{"id":"b1","player_id":"p1","status":"won","type":"express","stake":0.00000001,"win_amount":0,'
        b'"currency":"BTC","kind":"Normal","created_at":"2020-10-09 14:00:00","user_agent":"Mozilla/5.0",'
        b'"modified_at":"2020-10-10 07:30:00"}]'
    )


def test_bets_absent_optional_values_are_empty_in_csv_and_null_in_json(client_with_key):
    bet(status=None, stake=None, win_amount=None, currency=None, kind=None, user_agent=None)
    assert get(client_with_key, "bets") == (
        BETS_HEADER + b"\nb1,p1,,express,,,,,2020-10-09 14:00:00,,2020-10-10 07:30:00\n"
    )
    assert get(client_with_key, "bets", format="json") == (
        b'[{"id":"b1","player_id":"p1","status":null,"type":"express","stake":null,"win_amount":null,'
        b'"currency":null,"kind":null,"created_at":"2020-10-09 14:00:00","user_agent":null,'
        b'"modified_at":"2020-10-10 07:30:00"}]'
    )


@pytest.mark.parametrize(
    ("stake", "text"),
    [
        (Decimal("0"), b"0"),
        (Decimal("100"), b"100"),
        (Decimal("2.50000000"), b"2.5"),
        (Decimal("123456789012.12345678"), b"123456789012.12345678"),
        (Decimal("-1.5"), b"-1.5"),
    ],
)
def test_bet_stake_is_plain_decimal_text(client_with_key, stake, text):
    bet(stake=stake, win_amount=None)
    assert get(client_with_key, "bets").split(b"\n")[1] == (
        b"b1,p1,won,express," + text + b",,EUR,Prize,2020-10-09 14:00:00,Mozilla/5.0,2020-10-10 07:30:00"
    )
    assert b'"stake":' + text + b',"win_amount":null,' in get(client_with_key, "bets", format="json")


@pytest.mark.parametrize("kind", ["Normal", "Prize", "Other"])
def test_bet_kind_is_written_as_stored(client_with_key, kind):
    bet(kind=kind)
    assert json.loads(get(client_with_key, "bets", format="json"))[0]["kind"] == kind
    assert b",EUR," + kind.encode() + b",2020-10-09 14:00:00," in get(client_with_key, "bets")


def test_bets_window_is_modified_at_not_created_at(client_with_key):
    bet(id="created-inside", created_at=at("2020-10-10 07:10:00"), modified_at=at("2020-10-10 08:00:00"))
    bet(id="at-from", created_at=at("2020-10-01 00:00:00"), modified_at=at("2020-10-10 07:00:00"))
    bet(id="before", modified_at=at("2020-10-10 06:59:59.999999"))
    bet(id="last", modified_at=at("2020-10-10 07:59:59.999999"))
    assert ids(get(client_with_key, "bets")) == ["at-from", "last"]


def test_bets_are_ordered_by_modified_at_then_id(client_with_key):
    bet(id="b", modified_at=at("2020-10-10 07:10:00.7"))
    bet(id="c", modified_at=at("2020-10-10 07:10:00.2"))
    bet(id="a", modified_at=at("2020-10-10 07:10:00.7"))
    bet(id="0", modified_at=at("2020-10-10 07:20:00"))
    assert ids(get(client_with_key, "bets")) == ["c", "a", "b", "0"]


# --- bet-selections ------------------------------------------------------------------


def test_bet_selections_csv_has_the_header_and_every_column(client_with_key):
    selection()
    assert get(client_with_key, "bet-selections") == (
        SELECTIONS_HEADER + b"\nsel1,b1,ev1,1.85,won,1X2,2020-10-09 14:00:00,2020-10-10 07:30:00\n"
    )


def test_bet_selections_json_has_the_keys_in_column_order_and_ratio_as_a_number(client_with_key):
    selection(ratio=Decimal("12.00000000"), market="Total over 2.5")
    body = get(client_with_key, "bet-selections", format="json")
    assert body == (
        b'[{"id":"sel1","bet_id":"b1","event_id":"ev1","ratio":12,"status":"won","market":"Total over 2.5",'
        b'"created_at":"2020-10-09 14:00:00","updated_at":"2020-10-10 07:30:00"}]'
    )


def test_bet_selections_absent_optional_values_are_empty_in_csv_and_null_in_json(client_with_key):
    selection(ratio=None, status=None)
    assert get(client_with_key, "bet-selections") == (
        SELECTIONS_HEADER + b"\nsel1,b1,ev1,,,1X2,2020-10-09 14:00:00,2020-10-10 07:30:00\n"
    )
    assert get(client_with_key, "bet-selections", format="json") == (
        b'[{"id":"sel1","bet_id":"b1","event_id":"ev1","ratio":null,"status":null,"market":"1X2",'
        b'"created_at":"2020-10-09 14:00:00","updated_at":"2020-10-10 07:30:00"}]'
    )


@pytest.mark.parametrize(
    ("ratio", "text"),
    [
        (Decimal("1.01"), b"1.01"),
        (Decimal("2"), b"2"),
        (Decimal("1.23456789"), b"1.23456789"),
        (Decimal("1000.5"), b"1000.5"),
    ],
)
def test_bet_selection_ratio_is_plain_decimal_text(client_with_key, ratio, text):
    selection(ratio=ratio)
    assert get(client_with_key, "bet-selections").split(b"\n")[1] == (
        b"sel1,b1,ev1," + text + b",won,1X2,2020-10-09 14:00:00,2020-10-10 07:30:00"
    )


def test_bet_selections_window_is_updated_at_not_created_at(client_with_key):
    selection(id="created-inside", created_at=at("2020-10-10 07:10:00"), updated_at=at("2020-10-10 08:00:00"))
    selection(id="at-from", created_at=at("2020-10-01 00:00:00"), updated_at=at("2020-10-10 07:00:00"))
    selection(id="before", updated_at=at("2020-10-10 06:59:59.999999"))
    selection(id="last", updated_at=at("2020-10-10 07:59:59.999999"))
    assert ids(get(client_with_key, "bet-selections")) == ["at-from", "last"]


def test_bet_selections_are_ordered_by_updated_at_then_id(client_with_key):
    selection(id="b", updated_at=at("2020-10-10 07:10:00.7"))
    selection(id="c", updated_at=at("2020-10-10 07:10:00.2"))
    selection(id="a", updated_at=at("2020-10-10 07:10:00.7"))
    selection(id="0", updated_at=at("2020-10-10 07:20:00"))
    assert ids(get(client_with_key, "bet-selections")) == ["c", "a", "b", "0"]
