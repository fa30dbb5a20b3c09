"""The PostgreSQL COPY fast path answers exactly the bytes of the portable path."""

from decimal import Decimal

import pytest

from feeds.money import money_as_strings
from feeds.registry import served_feeds
from feeds.window import Window
from players.services import custom_field_define
from serving.renderers import CSVRenderer, JSONRenderer
from serving.streaming import feed_body, portable_body
from tests.support.api import get
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
)

TRICKY_TEXT = ['plain', 'a "quoted" word', 'comma, here', 'line\nbreak', 'lone\rcarriage', 'both\r\nends',
               'tab\there', 'back\\slash', 'ünïcödé € 😀', '\\.', ' padded ', '\x01control\x1f', '']


@pytest.fixture
def tricky_rows(db):
    for name, type in [("vip", "integer"), ("ltv", "decimal"), ("seen", "datetime"), ("nick", "string")]:
        custom_field_define(name=name, type=type)
    for n, text in enumerate(TRICKY_TEXT):
        stamp = at(f"2020-10-10 07:{n:02d}:00.{n:06d}")
        PlayerFactory(id=f"p{n}", first_name=text, city=None if n % 2 else text, birthday=None if n % 3 else at("1990-01-01 00:00:00").date(),
                      is_blocked=[True, False, None][n % 3], modified_at=stamp,
                      custom={"vip": str(n), "ltv": f"{n}.50", "seen": "2020-10-09 00:00:00", "nick": text} if n % 2 else {})
        ContactFactory(player__id=f"c{n}", player__modified_at=stamp, email=text, phone_confirmed_at=None, modified_at=stamp)
        LoginFactory(id=f"l{n}", user_agent=text, is_success=[True, False, None][n % 3], created_at=stamp)
        amount = [Decimal("0E-8"), Decimal("0.00000001"), Decimal("123456789012.12345678"), Decimal("-5.10"), Decimal("100")][n % 5]
        TransactionFactory(id=f"t{n}", amount=amount, comment=text, updated_at=stamp)
        WalletFactory(id=f"w{n}", balance=amount, modified_at=stamp)
        GameActionFactory(id=f"a{n}", session_id=f"s{n % 4}", action=["bet", "win"][n % 2], amount=amount.copy_abs(),
                          user_agent=text, created_at=stamp)
        TournamentFactory(id=f"tour{n}", name=text or "x", date_end=None, modified_at=stamp)
        SportEventFactory(id=f"ev{n}", title=text or "x", modified_at=stamp)
        BetFactory(id=f"b{n}", stake=None if n % 2 else amount.copy_abs(), user_agent=text, modified_at=stamp)
        BetSelectionFactory(id=f"sel{n}", ratio=None if n % 2 else Decimal("1.85"), updated_at=stamp)


WINDOWS = [Window(at("2020-10-10 07:00:00"), at("2020-10-10 08:00:00")),
           Window(at("2020-10-10 07:03:00"), at("2020-10-10 07:07:00.000004")),
           Window(at("2021-01-01 00:00:00"), at("2021-01-02 00:00:00"))]


@pytest.mark.postgresql
@pytest.mark.parametrize("renderer", [CSVRenderer, JSONRenderer])
@pytest.mark.parametrize("feed", sorted(served_feeds()))
def test_copy_answers_the_bytes_of_the_portable_path(tricky_rows, feed, renderer):
    spec = served_feeds()[feed]
    for window in WINDOWS:
        fast = b"".join(feed_body(spec, window, renderer()))
        reference = b"".join(portable_body(spec, window, renderer()))
        assert fast == reference


@pytest.mark.postgresql
@pytest.mark.parametrize("feed", sorted(served_feeds()))
def test_copy_answers_the_bytes_of_the_portable_path_with_money_as_strings(tricky_rows, feed):
    spec = served_feeds()[feed]

    def renderer() -> JSONRenderer:
        json = JSONRenderer()
        json.money_as_strings = True  # ?money=string
        return json

    for window in WINDOWS:
        fast = b"".join(feed_body(spec, window, renderer()))
        assert fast == b"".join(portable_body(spec, window, renderer(), money_as_strings(spec.all_columns())))
        if spec.name in ("transactions", "wallets", "users", "bets"):
            assert fast != b"".join(feed_body(spec, window, JSONRenderer())) or fast == b"[]"


def test_a_lone_carriage_return_is_quoted_and_records_end_with_lf(client_with_key):
    TransactionFactory(id="t1", comment="lone\rcarriage", updated_at=at("2020-10-10 07:10:00"))
    TransactionFactory(id="t2", comment="plain", updated_at=at("2020-10-10 07:11:00"))
    body = get(client_with_key, "transactions")
    assert body.count(b"\r") == 1
    assert b',"lone\rcarriage"\nt2,' in body
    assert body.endswith(b",plain\n")
