"""The games feed: casino sessions aggregated from their game actions (feeds.md 4, games).

Sessions with at least one action in the window are selected; *all* their actions, inside
the window or not, are aggregated into one row per session.
"""

import json
from decimal import Decimal

import pytest

from games.selectors import game_sessions_in_window
from tests.support import api
from tests.support.factories import GameActionFactory, at

pytestmark = pytest.mark.django_db

FROM, TO = at("2020-10-10 07:00:00"), at("2020-10-10 08:00:00")

HEADER = (
    b"player_id,session_id,game_code,game_name,currency,bet_count,win_count,bet_amount,win_amount,"
    b"created_at,updated_at,game_vendor,balance_type,ip,user_agent,ref_code"
)


def get(client, **params) -> bytes:
    """The whole body of ``GET /api/games`` for the window (overridable by ``params``)."""
    return api.get(client, "games", **params)


def session_ids(body: bytes) -> list[str]:
    return [line.split(",")[1] for line in body.decode().split("\n")[1:-1]]


def action(id, session_id, created_at, kind="bet", amount="1.00", recorded_at=None, **values):
    """One game action; descriptive columns default to those of a plain Book of Ra session."""
    defaults = dict(
        player_id="p1",
        game_code="book-of-ra",
        game_name="Book of Ra",
        game_vendor="Novomatic",
        currency="EUR",
        balance_type="Normal",
        ip="10.0.0.1",
        user_agent="Mozilla/5.0",
        ref_code="aff-1",
    )
    return GameActionFactory(
        id=id,
        session_id=session_id,
        action=kind,
        amount=Decimal(amount),
        created_at=at(f"2020-10-10 {created_at}"),
        recorded_at=at(f"2020-10-10 {recorded_at or created_at}"),
        **{**defaults, **values},
    )


@pytest.fixture
def sessions(db):
    """Sessions crossing the window's edges, one around it, one of wins only, one late."""
    # Started before `from`, one action inside.
    action("a01", "s-before", "06:50:00", "bet", "2.00", player_id="p1")
    action("a02", "s-before", "07:10:00", "win", "5.00", player_id="p1")
    # Started inside, continues after `to`: the later win counts, updated_at lies after `to`.
    action("b01", "s-after", "07:40:00", "bet", "1.00", player_id="p2")
    action("b02", "s-after", "07:50:00", "bet", "1.50", player_id="p2")
    action("b03", "s-after", "08:20:00", "win", "10.00", player_id="p2")
    # Spans the window with no action inside it: absent.
    action("c01", "s-around", "06:00:00", "bet", "3.00", player_id="p3")
    action("c02", "s-around", "08:30:00", "win", "6.00", player_id="p3")
    # Wins only.
    action("d01", "s-wins", "07:05:00", "win", "3.00", player_id="p4")
    action("d02", "s-wins", "07:06:00", "win", "0.00000001", player_id="p4")
    # Happened before the window, but one action was recorded (loaded) inside it.
    action("e01", "s-late", "06:10:00", "bet", "4.00", player_id="p5")
    action("e02", "s-late", "06:30:00", "win", "1.25", recorded_at="07:20:00", player_id="p5")
    # Entirely in the next window (an action exactly at `to` is not in this one).
    action("f01", "s-next", "08:00:00", "bet", "1.00", player_id="p6")


# --- the selector --------------------------------------------------------------------


def test_selector_returns_one_row_per_session_with_an_action_in_the_window(sessions):
    rows = list(game_sessions_in_window(FROM, TO))
    assert [row["session_id"] for row in rows] == ["s-late", "s-wins", "s-before", "s-after"]


def test_selector_aggregates_all_actions_of_a_session_started_before_the_window(sessions):
    row = {row["session_id"]: row for row in game_sessions_in_window(FROM, TO)}["s-before"]
    assert (row["bet_count"], row["win_count"]) == (1, 1)
    assert (row["bet_amount"], row["win_amount"]) == (Decimal("2"), Decimal("5"))
    assert (row["created_at"], row["updated_at"]) == (at("2020-10-10 06:50:00"), at("2020-10-10 07:10:00"))
    assert row["player_id"] == "p1"


def test_selector_aggregates_actions_after_the_window_of_a_session_started_inside_it(sessions):
    row = {row["session_id"]: row for row in game_sessions_in_window(FROM, TO)}["s-after"]
    assert (row["bet_count"], row["win_count"]) == (2, 1)
    assert (row["bet_amount"], row["win_amount"]) == (Decimal("2.5"), Decimal("10"))
    assert (row["created_at"], row["updated_at"]) == (at("2020-10-10 07:40:00"), at("2020-10-10 08:20:00"))


def test_selector_gives_a_session_of_wins_only_zero_bets(sessions):
    row = {row["session_id"]: row for row in game_sessions_in_window(FROM, TO)}["s-wins"]
    assert (row["bet_count"], row["win_count"]) == (0, 2)
    assert row["bet_amount"] == Decimal("0")
    assert row["win_amount"] == Decimal("3.00000001")


def test_selector_selects_a_session_by_an_action_recorded_in_the_window(sessions):
    row = {row["session_id"]: row for row in game_sessions_in_window(FROM, TO)}["s-late"]
    assert (row["bet_count"], row["win_count"], row["bet_amount"], row["win_amount"]) == (
        1,
        1,
        Decimal("4"),
        Decimal("1.25"),
    )
    assert (row["created_at"], row["updated_at"]) == (at("2020-10-10 06:10:00"), at("2020-10-10 06:30:00"))


def test_selector_leaves_out_sessions_without_an_action_in_the_window(sessions):
    selected = {row["session_id"] for row in game_sessions_in_window(FROM, TO)}
    assert "s-around" not in selected and "s-next" not in selected
    later = [row["session_id"] for row in game_sessions_in_window(TO, at("2020-10-10 09:00:00"))]
    assert later == ["s-next", "s-after", "s-around"]


def test_selector_selects_a_session_that_spans_the_window_by_an_action_inside_it(db):
    # Neither its first nor its last action lies in the window: only the middle one does.
    action("g01", "s-through", "06:40:00", "bet", "1.00")
    action("g02", "s-through", "07:30:00", "bet", "2.00")
    action("g03", "s-through", "08:10:00", "win", "4.00")
    # The same span with nothing in between.
    action("h01", "s-gap", "06:40:00", "bet", "1.00")
    action("h02", "s-gap", "08:10:00", "win", "4.00")
    rows = list(game_sessions_in_window(FROM, TO))
    assert [(row["session_id"], row["bet_count"], row["win_amount"]) for row in rows] == [
        ("s-through", 2, Decimal("4"))
    ]


def test_selector_takes_descriptive_columns_from_the_first_action(db):
    action("x3", "s1", "07:20:00", "win", "9.00", player_id="later", game_code="late", game_name="Late",
           game_vendor="LateVendor", currency="USD", balance_type="Other", ip="10.9.9.9",
           user_agent="Late/1", ref_code="late-ref")
    action("x1", "s1", "06:55:00", "bet", "1.00", player_id="first", game_code="first", game_name="First",
           game_vendor="FirstVendor", currency="EUR", balance_type="Prize", ip="10.1.1.1",
           user_agent="First/1", ref_code=None)
    [row] = game_sessions_in_window(FROM, TO)
    descriptive = (
        "player_id", "game_code", "game_name", "currency", "game_vendor", "balance_type", "ip", "user_agent", "ref_code"
    )
    assert {name: row[name] for name in descriptive} == {
        "player_id": "first",
        "game_code": "first",
        "game_name": "First",
        "currency": "EUR",
        "game_vendor": "FirstVendor",
        "balance_type": "Prize",
        "ip": "10.1.1.1",
        "user_agent": "First/1",
        "ref_code": None,
    }


# --- the HTTP answer -----------------------------------------------------------------


def test_games_csv_has_the_header_and_one_aggregated_row_per_session(client_with_key, sessions):
    assert get(client_with_key) == (
        HEADER + b"\n"
        b"p5,s-late,book-of-ra,Book of Ra,EUR,1,1,4,1.25,2020-10-10 06:10:00,2020-10-10 06:30:00,"
        b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,aff-1\n"
        b"p4,s-wins,book-of-ra,Book of Ra,EUR,0,2,0,3.00000001,2020-10-10 07:05:00,2020-10-10 07:06:00,"
        b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,aff-1\n"
        b"p1,s-before,book-of-ra,Book of Ra,EUR,1,1,2,5,2020-10-10 06:50:00,2020-10-10 07:10:00,"
        b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,aff-1\n"
        b"p2,s-after,book-of-ra,Book of Ra,EUR,2,1,2.5,10,2020-10-10 07:40:00,2020-10-10 08:20:00,"
        b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,aff-1\n"
    )


def test_games_json_has_the_keys_in_column_order_with_counts_and_amounts_as_numbers(client_with_key):
    action("b01", "s-after", "07:40:00", "bet", "1.00", ref_code=None)
    action("b02", "s-after", "07:50:00", "bet", "1.50", ref_code=None)
    action("b03", "s-after", "08:20:00", "win", "10.00", ref_code=None)
    body = get(client_with_key, format="json")
    assert body == (
        b'[{"player_id":"p1","session_id":"s-after","game_code":"book-of-ra","game_name":"Book of Ra",'
        b'"currency":"EUR","bet_count":2,"win_count":1,"bet_amount":2.5,"win_amount":10,'
        b'"created_at":"2020-10-10 07:40:00","updated_at":"2020-10-10 08:20:00","game_vendor":"Novomatic",'
        b'"balance_type":"Normal","ip":"10.0.0.1","user_agent":"Mozilla/5.0","ref_code":null}]'
    )
    assert [type(value) for value in json.loads(body)[0].values()][5:7] == [int, int]


def test_games_session_of_wins_only_has_zero_bet_amount_and_count_in_json(client_with_key):
    action("d01", "s-wins", "07:05:00", "win", "3.00")
    row = json.loads(get(client_with_key, format="json"))[0]
    assert (row["bet_count"], row["bet_amount"], row["win_count"], row["win_amount"]) == (0, 0, 1, 3)
    assert b'"bet_amount":0,' in get(client_with_key, format="json")


def test_games_session_without_an_action_in_the_window_is_absent(client_with_key):
    action("c01", "s-around", "06:00:00", "bet", "3.00")
    action("c02", "s-around", "08:30:00", "win", "6.00")
    action("f01", "s-next", "08:00:00")
    action("g01", "s-prev", "06:59:59.999999")
    assert get(client_with_key) == HEADER + b"\n"
    assert get(client_with_key, format="json") == b"[]"


def test_games_action_exactly_at_from_selects_its_session(client_with_key):
    action("a01", "s-edge", "07:00:00")
    assert session_ids(get(client_with_key)) == ["s-edge"]


def test_games_late_loaded_action_selects_its_session_with_all_its_actions(client_with_key):
    # e01 was served in [06:00, 07:00); e02 happened then too but was recorded at 07:20.
    action("e01", "s-late", "06:10:00", "bet", "4.00")
    action("e02", "s-late", "06:30:00", "win", "1.25", recorded_at="07:20:00")
    assert get(client_with_key) == (
        HEADER + b"\n"
        b"p1,s-late,book-of-ra,Book of Ra,EUR,1,1,4,1.25,2020-10-10 06:10:00,2020-10-10 06:30:00,"
        b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,aff-1\n"
    )


def test_games_descriptive_columns_come_from_the_first_action_by_time_then_id(client_with_key):
    # Same instant for x2 and x1: the lower id is first. x0 is later, though recorded first.
    action("x2", "s1", "07:10:00", game_code="by-id-second", game_name="Second", ip="10.0.0.2")
    action("x1", "s1", "07:10:00", game_code="by-id-first", game_name="First", ip="10.0.0.1")
    action("x0", "s1", "07:15:00", "win", "2.00", recorded_at="07:01:00", player_id="p9", game_code="later",
           game_name="Later", game_vendor="Other", currency="USD", balance_type="Prize", ip="10.9.9.9",
           user_agent="Later/1", ref_code="aff-9")
    assert get(client_with_key) == (
        HEADER + b"\n"
        b"p1,s1,by-id-first,First,EUR,2,1,2,2,2020-10-10 07:10:00,2020-10-10 07:15:00,"
        b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,aff-1\n"
    )


def test_games_descriptive_columns_come_from_a_first_action_outside_the_window(client_with_key):
    action("a01", "s1", "06:50:00", player_id="p1", game_code="first", game_name="First Game",
           game_vendor="V1", currency="EUR", balance_type="Prize", ip="10.1.1.1", user_agent="UA/1",
           ref_code="ref-1")
    action("a02", "s1", "07:10:00", "win", "5.00", player_id="p2", game_code="second",
           game_name="Second Game", game_vendor="V2", currency="USD", balance_type="Other", ip="10.2.2.2",
           user_agent="UA/2", ref_code="ref-2")
    assert get(client_with_key) == (
        HEADER + b"\n"
        b"p1,s1,first,First Game,EUR,1,1,1,5,2020-10-10 06:50:00,2020-10-10 07:10:00,"
        b"V1,Prize,10.1.1.1,UA/1,ref-1\n"
    )


def test_games_absent_descriptive_values_are_empty_in_csv_and_null_in_json(client_with_key):
    action("a01", "s1", "07:10:00", game_code=None, game_vendor=None, balance_type=None, ip=None,
           user_agent=None, ref_code=None)
    assert get(client_with_key) == (
        HEADER + b"\np1,s1,,Book of Ra,EUR,1,0,1,0,2020-10-10 07:10:00,2020-10-10 07:10:00,,,,,\n"
    )
    assert get(client_with_key, format="json").endswith(
        b'"game_vendor":null,"balance_type":null,"ip":null,"user_agent":null,"ref_code":null}]'
    )


def test_games_amounts_keep_eight_decimal_places(client_with_key):
    action("a01", "s1", "07:10:00", "bet", "100.5")
    action("a02", "s1", "07:11:00", "bet", "0.00000001")
    action("a03", "s1", "07:12:00", "win", "0.10000000")
    row = get(client_with_key).split(b"\n")[1]
    assert row.startswith(b"p1,s1,book-of-ra,Book of Ra,EUR,2,1,100.50000001,0.1,")


def test_games_are_ordered_by_updated_at_then_session_id(client_with_key):
    action("b1", "s-b", "07:30:00.5")
    action("c1", "s-c", "07:30:00.2")
    action("a1", "s-a", "07:30:00.5")
    # Starts first but ends last: ordered by its last action.
    action("x1", "s-x", "07:05:00")
    action("x2", "s-x", "07:50:00")
    action("01", "s-0", "07:40:00")
    assert session_ids(get(client_with_key)) == ["s-c", "s-a", "s-b", "s-0", "s-x"]


def test_a_session_is_served_again_by_each_window_it_has_actions_in(client_with_key, sessions):
    later = get(client_with_key, **{"from": "2020-10-10 08:00:00", "to": "2020-10-10 09:00:00"})
    assert later == (
        HEADER + b"\n"
        b"p6,s-next,book-of-ra,Book of Ra,EUR,1,0,1,0,2020-10-10 08:00:00,2020-10-10 08:00:00,"
        b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,aff-1\n"
        b"p2,s-after,book-of-ra,Book of Ra,EUR,2,1,2.5,10,2020-10-10 07:40:00,2020-10-10 08:20:00,"
        b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,aff-1\n"
        b"p3,s-around,book-of-ra,Book of Ra,EUR,1,1,3,6,2020-10-10 06:00:00,2020-10-10 08:30:00,"
        b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,aff-1\n"
    )


def test_games_sums_of_large_crypto_amounts_are_exact(client_with_key):
    action("a01", "s1", "07:10:00", "bet", "123456789012.12345678")
    action("a02", "s1", "07:11:00", "bet", "0.00000001")
    action("a03", "s1", "07:12:00", "win", "99999999999.99999999")
    row = get(client_with_key).split(b"\n")[1]
    assert row.startswith(b"p1,s1,book-of-ra,Book of Ra,EUR,2,1,123456789012.12345679,99999999999.99999999,")
