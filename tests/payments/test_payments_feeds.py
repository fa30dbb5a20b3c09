"""The payments feeds: transactions and wallets (feeds.md 2 and 4); money and CSV quoting."""

import json
from decimal import Decimal

import pytest

from tests.support.api import get, ids
from tests.support.clock import closed_window, stamping_span
from tests.support.factories import TransactionFactory, WalletFactory, at

pytestmark = pytest.mark.django_db


TRANSACTIONS_HEADER = (
    b"id,player_id,amount,currency,type,status,payment_system,dir,created_at,updated_at,"
    b"invoice_id,wallet_id,user_agent,ip,requisite,comment"
)
WALLETS_HEADER = b"id,player_id,type,balance,currency,created_at,modified_at"


def transaction(**values):
    """A transaction with every column given, so that expected bytes are literal."""
    defaults = dict(
        id="t1",
        player_id="p1",
        amount=Decimal("100.5"),
        currency="USD",
        type="Normal",
        status="Success",
        payment_system="visa",
        dir="IN",
        created_at=at("2020-10-10 07:25:00"),
        updated_at=at("2020-10-10 07:30:00"),
        invoice_id="inv-9",
        wallet_id="w1",
        user_agent="Mozilla/5.0",
        ip="10.0.0.7",
        requisite="4111 **** **** 1111",
        comment="first deposit",
    )
    return TransactionFactory(**{**defaults, **values})


def wallet(**values):
    defaults = dict(
        id="w1",
        player_id="p1",
        type="Normal",
        balance=Decimal("50.25"),
        currency="EUR",
        created_at=at("2020-10-08 07:30:00"),
        modified_at=at("2020-10-10 07:30:00"),
    )
    return WalletFactory(**{**defaults, **values})


# --- transactions ----------------------------------------------------------------------


def test_transactions_csv_has_the_header_and_every_column(client_with_key):
    transaction()
    assert get(client_with_key, "transactions") == (
        TRANSACTIONS_HEADER + b"\n"
        b"t1,p1,100.5,USD,Normal,Success,visa,IN,2020-10-10 07:25:00,2020-10-10 07:30:00,"
        b"inv-9,w1,Mozilla/5.0,10.0.0.7,4111 **** **** 1111,first deposit\n"
    )


def test_transactions_json_has_the_keys_in_column_order_and_amount_as_a_number(client_with_key):
    transaction()
    assert get(client_with_key, "transactions", format="json") == (
        b'[{"id":"t1","player_id":"p1","amount":100.5,"currency":"USD","type":"Normal",'
        b'"status":"Success","payment_system":"visa","dir":"IN","created_at":"2020-10-10 07:25:00",'
        b'"updated_at":"2020-10-10 07:30:00","invoice_id":"inv-9","wallet_id":"w1",'
        b'"user_agent":"Mozilla/5.0","ip":"10.0.0.7","requisite":"4111 **** **** 1111",'
        b'"comment":"first deposit"}]'
    )


def test_transactions_absent_optional_values_are_empty_in_csv_and_null_in_json(client_with_key):
    transaction(
        type=None,
        status=None,
        payment_system=None,
        invoice_id=None,
        wallet_id=None,
        user_agent=None,
        ip=None,
        requisite=None,
        comment=None,
    )
    assert get(client_with_key, "transactions") == (
        TRANSACTIONS_HEADER + b"\nt1,p1,100.5,USD,,,,IN,2020-10-10 07:25:00,2020-10-10 07:30:00,,,,,,\n"
    )
    assert get(client_with_key, "transactions", format="json") == (
        b'[{"id":"t1","player_id":"p1","amount":100.5,"currency":"USD","type":null,"status":null,'
        b'"payment_system":null,"dir":"IN","created_at":"2020-10-10 07:25:00",'
        b'"updated_at":"2020-10-10 07:30:00","invoice_id":null,"wallet_id":null,"user_agent":null,'
        b'"ip":null,"requisite":null,"comment":null}]'
    )


MONEY = [
    (Decimal("0"), "0"),
    (Decimal("0E-8"), "0"),
    (Decimal("0.00000000"), "0"),
    (Decimal("-0.00"), "0"),
    (Decimal("0.00000001"), "0.00000001"),
    (Decimal("100.5"), "100.5"),
    (Decimal("100.50000000"), "100.5"),
    (Decimal("100"), "100"),
    (Decimal("1E+3"), "1000"),
    (Decimal("123456789012.12345678"), "123456789012.12345678"),
    (Decimal("-25.75"), "-25.75"),
    (Decimal("-0.00000001"), "-0.00000001"),
]


@pytest.mark.parametrize(("amount", "text"), MONEY, ids=[text for _, text in MONEY])
def test_transaction_amount_is_plain_decimal_text_without_exponent(client_with_key, amount, text):
    transaction(amount=amount)
    body = get(client_with_key, "transactions")
    assert body.split(b"\n")[1].startswith(b"t1,p1," + text.encode() + b",USD,")


@pytest.mark.parametrize(("amount", "text"), MONEY, ids=[text for _, text in MONEY])
def test_transaction_amount_in_json_is_a_number_token_with_the_same_text(client_with_key, amount, text):
    transaction(amount=amount)
    body = get(client_with_key, "transactions", format="json")
    assert body.startswith(b'[{"id":"t1","player_id":"p1","amount":' + text.encode() + b',"currency":"USD",')
    assert json.loads(body, parse_float=Decimal, parse_int=Decimal)[0]["amount"] == Decimal(text)


@pytest.mark.parametrize(
    ("comment", "cell"),
    [
        ("a, b", b'"a, b"'),
        ('say "hi"', b'"say ""hi"""'),
        ('"', b'""""'),
        ("line one\nline two", b'"line one\nline two"'),
        ("line one\r\nline two", b'"line one\r\nline two"'),
        ('all, "of"\nthem', b'"all, ""of""\nthem"'),
        ("plain text; no quoting", b"plain text; no quoting"),
    ],
)
def test_transaction_comment_is_quoted_per_rfc_4180(client_with_key, comment, cell):
    transaction(comment=comment)
    assert get(client_with_key, "transactions") == (
        TRANSACTIONS_HEADER + b"\n"
        b"t1,p1,100.5,USD,Normal,Success,visa,IN,2020-10-10 07:25:00,2020-10-10 07:30:00,"
        b"inv-9,w1,Mozilla/5.0,10.0.0.7,4111 **** **** 1111," + cell + b"\n"
    )
    assert json.loads(get(client_with_key, "transactions", format="json"))[0]["comment"] == comment


def test_transactions_records_all_end_with_crlf_even_around_a_quoted_line_break(client_with_key):
    transaction(id="t1", updated_at=at("2020-10-10 07:10:00"), comment="x")
    transaction(id="t2", updated_at=at("2020-10-10 07:20:00"), comment='first\nsecond, "third"')
    transaction(id="t3", updated_at=at("2020-10-10 07:30:00"), comment=None)
    assert get(client_with_key, "transactions") == (
        TRANSACTIONS_HEADER + b"\n"
        b"t1,p1,100.5,USD,Normal,Success,visa,IN,2020-10-10 07:25:00,2020-10-10 07:10:00,"
        b"inv-9,w1,Mozilla/5.0,10.0.0.7,4111 **** **** 1111,x\n"
        b"t2,p1,100.5,USD,Normal,Success,visa,IN,2020-10-10 07:25:00,2020-10-10 07:20:00,"
        b'inv-9,w1,Mozilla/5.0,10.0.0.7,4111 **** **** 1111,"first\nsecond, ""third"""\n'
        b"t3,p1,100.5,USD,Normal,Success,visa,IN,2020-10-10 07:25:00,2020-10-10 07:30:00,"
        b"inv-9,w1,Mozilla/5.0,10.0.0.7,4111 **** **** 1111,\n"
    )


def test_transaction_comment_escapes_in_json(client_with_key):
    transaction(comment='say "hi",\nthen\tgo \\ back')
    body = get(client_with_key, "transactions", format="json")
    assert body.endswith(b'"comment":"say \\"hi\\",\\nthen\\tgo \\\\ back"}]')


def test_transactions_are_utf8(client_with_key):
    transaction(comment="Café — 5 €")
    body = get(client_with_key, "transactions")
    assert body.endswith(",Café — 5 €\n".encode())
    assert json.loads(get(client_with_key, "transactions", format="json").decode("utf-8"))[0]["comment"] == "Café — 5 €"


def test_transactions_window_is_updated_at_not_created_at(client_with_key):
    transaction(id="created-before", created_at=at("2020-10-09 00:00:00"), updated_at=at("2020-10-10 07:00:00"))
    transaction(id="updated-after", created_at=at("2020-10-10 07:10:00"), updated_at=at("2020-10-10 08:00:00"))
    transaction(id="before", created_at=at("2020-10-10 06:00:00"), updated_at=at("2020-10-10 06:59:59.999999"))
    transaction(id="last", created_at=at("2020-10-10 07:00:00"), updated_at=at("2020-10-10 07:59:59.999999"))
    assert ids(get(client_with_key, "transactions")) == ["created-before", "last"]


@pytest.mark.parametrize("type_", ["Normal", "Prize", "Compensation", "Cash back", "Other"])
def test_transaction_types_are_written_as_stored(client_with_key, type_):
    transaction(type=type_, dir="OUT", status="Fail")
    row = get(client_with_key, "transactions").split(b"\n")[1]
    assert row.startswith(b"t1,p1,100.5,USD," + type_.encode() + b",Fail,visa,OUT,")


# --- wallets -------------------------------------------------------------------------


def test_wallets_csv_has_the_header_and_every_column(client_with_key):
    wallet()
    assert get(client_with_key, "wallets") == (
        WALLETS_HEADER + b"\nw1,p1,Normal,50.25,EUR,2020-10-08 07:30:00,2020-10-10 07:30:00\n"
    )


def test_wallets_json_has_the_keys_in_column_order_and_balance_as_a_number(client_with_key):
    wallet(type="Prize", balance=Decimal("0.00000001"), currency="BTC")
    assert get(client_with_key, "wallets", format="json") == (
        b'[{"id":"w1","player_id":"p1","type":"Prize","balance":0.00000001,"currency":"BTC",'
        b'"created_at":"2020-10-08 07:30:00","modified_at":"2020-10-10 07:30:00"}]'
    )


@pytest.mark.parametrize(("balance", "text"), MONEY, ids=[text for _, text in MONEY])
def test_wallet_balance_is_plain_decimal_text(client_with_key, balance, text):
    wallet(balance=balance)
    assert get(client_with_key, "wallets") == (
        WALLETS_HEADER + b"\nw1,p1,Normal," + text.encode() + b",EUR,2020-10-08 07:30:00,2020-10-10 07:30:00\n"
    )
    assert get(client_with_key, "wallets", format="json") == (
        b'[{"id":"w1","player_id":"p1","type":"Normal","balance":' + text.encode() + b',"currency":"EUR",'
        b'"created_at":"2020-10-08 07:30:00","modified_at":"2020-10-10 07:30:00"}]'
    )


def test_wallets_window_is_modified_at_not_created_at(client_with_key):
    wallet(id="created-before", created_at=at("2020-01-01 00:00:00"), modified_at=at("2020-10-10 07:00:00"))
    wallet(id="modified-after", created_at=at("2020-10-10 07:10:00"), modified_at=at("2020-10-10 08:00:00"))
    wallet(id="before", created_at=at("2020-01-01 00:00:00"), modified_at=at("2020-10-10 06:59:59.999999"))
    wallet(id="last", created_at=at("2020-01-01 00:00:00"), modified_at=at("2020-10-10 07:59:59.999999"))
    assert ids(get(client_with_key, "wallets")) == ["created-before", "last"]


def test_wallets_are_ordered_by_modified_at_then_id(client_with_key):
    wallet(id="b", modified_at=at("2020-10-10 07:10:00.7"))
    wallet(id="c", modified_at=at("2020-10-10 07:10:00.2"))
    wallet(id="a", modified_at=at("2020-10-10 07:10:00.7"))
    wallet(id="0", modified_at=at("2020-10-10 07:20:00"))
    assert ids(get(client_with_key, "wallets")) == ["c", "a", "b", "0"]


def test_a_balance_change_through_the_model_moves_modified_at_forward(client_with_key):
    subject = wallet(modified_at=at("2020-10-10 07:30:00"))
    with stamping_span() as change:
        subject.balance = Decimal("75")
        subject.save()
    assert subject.modified_at in change
    assert ids(get(client_with_key, "wallets")) == []
    stamp = subject.modified_at.strftime("%Y-%m-%d %H:%M:%S").encode()
    assert get(client_with_key, "wallets", **closed_window(change)) == (
        WALLETS_HEADER + b"\nw1,p1,Normal,75,EUR,2020-10-08 07:30:00," + stamp + b"\n"
    )
