"""``money=string``: JSON money as strings with the CSV's exact digits, for float parsers.

Every money column (amounts, balances, stakes, odds, custom decimal fields) becomes a
JSON string; every other value, and every CSV byte, stays as it was. On PostgreSQL the
answers go through COPY, elsewhere through the portable path (test_copy_stream.py
compares the two byte for byte).
"""

import io
import json
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command

from feeds import columns as kinds
from feeds.registry import served_feeds
from players.services import custom_field_define
from tests.support.api import WINDOW, get
from tests.support.factories import (
    BetFactory,
    BetSelectionFactory,
    GameActionFactory,
    PlayerFactory,
    TransactionFactory,
    WalletFactory,
    at,
)

# Digits that a float keeps only to 17 significant places, the smallest step, zero, a
# negative amount and a whole one.
AMOUNTS = [Decimal("12345678901.12345678"), Decimal("0.00000001"), Decimal("0E-8"), Decimal("-5.10"), Decimal("100")]


@pytest.fixture
def money_rows(db):
    custom_field_define(name="ltv", type="decimal")
    custom_field_define(name="vip", type="integer")
    for n, amount in enumerate(AMOUNTS):
        stamp = at(f"2020-10-10 07:{n:02d}:00")
        PlayerFactory(id=f"p{n}", modified_at=stamp, custom={"ltv": f"{n}1234567890.5{n}", "vip": str(n)} if n % 2 else {})
        TransactionFactory(id=f"t{n}", amount=amount, updated_at=stamp)
        WalletFactory(id=f"w{n}", balance=amount, modified_at=stamp)
        GameActionFactory(id=f"a{n}", session_id=f"s{n % 2}", amount=amount.copy_abs(), action=["bet", "win"][n % 2],
                          created_at=stamp)
        BetFactory(id=f"b{n}", stake=None if n == 3 else amount.copy_abs(), modified_at=stamp)
        BetSelectionFactory(id=f"sel{n}", ratio=None if n == 3 else Decimal("1.85"), updated_at=stamp)


def money_names(feed: str) -> set[str]:
    return {column.name for column in served_feeds()[feed].all_columns() if isinstance(column.kind, kinds.Money)}


@pytest.mark.parametrize("feed", sorted(served_feeds()))
def test_money_columns_are_strings_of_the_same_digits_and_nothing_else_changes(money_rows, client_with_key, feed):
    numbers = get(client_with_key, feed, format="json")
    strings = get(client_with_key, feed, format="json", money="string")
    # The tokens of the default answer, as written: every number read as its own text.
    as_written = json.loads(numbers, parse_float=str, parse_int=str)
    plain, quoted = json.loads(numbers), json.loads(strings)
    assert len(quoted) == len(plain)
    money = money_names(feed)
    for written, number_row, string_row in zip(as_written, plain, quoted):
        assert list(string_row) == list(number_row)
        for name, value in string_row.items():
            if name in money:
                assert value is None or isinstance(value, str), (name, value)
                assert value == written[name], (name, value, written[name])
            else:
                assert value == number_row[name] and type(value) is type(number_row[name]), (name, value)
    # A stdlib json.loads, the float parser of the findings, keeps every digit now.
    if feed == "transactions":
        assert [row["amount"] for row in quoted] == ["12345678901.12345678", "0.00000001", "0", "-5.1", "100"]
        assert json.loads(numbers)[0]["amount"] == 12345678901.123457  # what the default gives a float parser


def test_custom_decimal_fields_are_money_too(money_rows, client_with_key):
    users = json.loads(get(client_with_key, "users", format="json", money="string"))
    by_id = {row["id"]: row for row in users}
    assert by_id["p1"]["ltv"] == "11234567890.51" and by_id["p3"]["ltv"] == "31234567890.53"
    assert by_id["p0"]["ltv"] is None
    assert by_id["p1"]["vip"] == 1  # an integer field stays a number


def test_games_sums_are_strings_too(money_rows, client_with_key):
    games = {row["session_id"]: row for row in json.loads(get(client_with_key, "games", format="json", money="string"))}
    # s0: bets of 12345678901.12345678, 0 and 100; s1: wins of 0.00000001 and 5.10.
    assert games["s0"]["bet_amount"] == "12345679001.12345678" and games["s0"]["win_amount"] == "0"
    assert games["s1"]["win_amount"] == "5.10000001" and games["s1"]["bet_count"] == 0


@pytest.mark.parametrize("value", ["number", "string", "STRING"])
def test_csv_is_the_same_whatever_money_says(money_rows, client_with_key, value):
    for feed in ("transactions", "users", "games"):
        assert get(client_with_key, feed, money=value) == get(client_with_key, feed)


def test_money_number_and_an_empty_money_are_the_default(money_rows, client_with_key):
    default = get(client_with_key, "wallets", format="json")
    assert get(client_with_key, "wallets", format="json", money="number") == default
    assert get(client_with_key, "wallets", format="json", money="") == default


@pytest.mark.parametrize("format", ["json", "csv"])
@pytest.mark.parametrize("method", ["get", "head"])
def test_an_unknown_money_is_a_400_naming_the_parameter(client_with_key, format, method):
    response = getattr(client_with_key, method)("/api/transactions", {**WINDOW, "format": format, "money": "float"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    if method == "get":
        body = response.json()
        assert body["param"] == "money"
        assert "number" in body["error"] and "string" in body["error"] and "'float'" in body["error"]


def test_export_feed_money_string_writes_the_bytes_of_the_api(money_rows, client_with_key, tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    call_command("export_feed", "transactions", "--from", WINDOW["from"], "--to", WINDOW["to"], "--format", "json",
                 "--money", "string", "--output", str(path), verbosity=0)
    assert path.read_bytes() == get(client_with_key, "transactions", format="json", money="string")
    stdout = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(stdout))
    call_command("export_feed", "transactions", "--from", WINDOW["from"], "--to", WINDOW["to"], "--money", "string",
                 verbosity=0)
    sys.stdout.flush()
    assert stdout.getvalue() == get(client_with_key, "transactions")  # CSV: unchanged
