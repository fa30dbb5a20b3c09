"""A window's digest is the checksum a consumer computes over what it holds (assurance.md
section 14): for every feed, the served CSV read, each row's latest version kept, the
rows of the window hashed in Python (tests/support/digests.py) give the digest's rows
and checksum, on SQLite and on PostgreSQL."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.stamping import preserve_timestamps
from payments.models import Transaction
from tests.support import factories as f
from tests.support.api import get
from tests.support.digests import HISTORY, expected, held
from tests.support.factories import at

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}
# Around and on the window's edges: three of them lie inside it.
STAMPS = ["06:59:59.999999", "07:00:00", "07:00:00.5", "07:59:59.999999", "08:00:00"]
FACTORIES = {
    "users": (f.PlayerFactory, "modified_at"),
    "logins": (f.LoginFactory, "created_at"),
    "transactions": (f.TransactionFactory, "updated_at"),
    "wallets": (f.WalletFactory, "modified_at"),
    "tournaments": (f.TournamentFactory, "modified_at"),
    "sport-events": (f.SportEventFactory, "modified_at"),
    "bets": (f.BetFactory, "modified_at"),
    "bet-selections": (f.BetSelectionFactory, "updated_at"),
}
# Ids as opaque as the contract allows: quoted in CSV, hashed as their text.
ODD_IDS = ['ü,"x"', "line\nbreak", "062829", " spaced "]


def digest(client, feed, **params) -> dict:
    response = client.get(f"/api/{feed}/digest", {**WINDOW, **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def consumer(client, feed, start=WINDOW["from"], end=WINDOW["to"]) -> tuple[int, str]:
    return expected(held(get(client, feed, **HISTORY), feed), feed, start, end)


@pytest.mark.parametrize("feed", sorted(FACTORIES))
def test_the_digest_of_each_feed_is_the_checksum_of_its_served_rows(client_with_key, feed):
    factory, stamp = FACTORIES[feed]
    for n, time in enumerate(STAMPS):
        factory(id=ODD_IDS[n % len(ODD_IDS)] + str(n), **{stamp: at(f"2020-10-10 {time}")})
    answer = digest(client_with_key, feed)
    assert (answer["rows"], answer["checksum"]) == consumer(client_with_key, feed)
    assert answer["rows"] == 3
    assert answer == {"feed": feed, **WINDOW, "rows": 3, "checksum": answer["checksum"]}


def test_the_digest_of_contacts_hashes_player_id_and_modified_at(client_with_key):
    for n, time in enumerate(STAMPS):
        f.ContactFactory(player__id=ODD_IDS[n % len(ODD_IDS)] + str(n), modified_at=at(f"2020-10-10 {time}"))
    answer = digest(client_with_key, "contacts")
    assert (answer["rows"], answer["checksum"]) == consumer(client_with_key, "contacts")
    assert answer["rows"] == 3


def test_the_digest_of_games_hashes_the_sessions_whose_last_action_lies_in_the_window(client_with_key):
    # s1 inside; s2 begins inside but its last action is after `to` (the feed serves it
    # for this window, the digest counts it in the next); s3 ends exactly at `from`.
    for session, times in {"s1": ["07:10:00", "07:20:00.5"], "s2": ["07:50:00", "08:10:00"],
                           "s3": ["06:50:00", "07:00:00"], "s4": ["06:00:00"]}.items():
        for time in times:
            f.GameActionFactory(session_id=session, created_at=at(f"2020-10-10 {time}"), action="bet")
    f.GameActionFactory(session_id="s1", created_at=at("2020-10-10 07:15:00"), action="win")
    answer = digest(client_with_key, "games")
    assert (answer["rows"], answer["checksum"]) == consumer(client_with_key, "games")
    assert answer["rows"] == 2  # s1 and s3
    later = digest(client_with_key, "games", **{"from": "2020-10-10 08:00:00", "to": "2020-10-10 09:00:00"})
    assert (later["rows"], later["checksum"]) == consumer(client_with_key, "games", "2020-10-10 08:00:00", "2020-10-10 09:00:00")
    assert later["rows"] == 1  # s2


def test_a_row_counts_once_with_its_latest_version(client_with_key):
    f.TransactionFactory(id="moved", updated_at=at("2020-10-10 07:10:00"))
    f.TransactionFactory(id="stays", updated_at=at("2020-10-10 07:20:00"))
    before = digest(client_with_key, "transactions")
    with preserve_timestamps():
        Transaction.objects.filter(id="moved").update(status="Fail", updated_at=at("2020-10-10 08:30:00"))
    after = digest(client_with_key, "transactions")
    assert (before["rows"], after["rows"]) == (2, 1)
    assert (after["rows"], after["checksum"]) == consumer(client_with_key, "transactions")


def test_an_empty_window_is_zero_rows_and_a_zero_checksum(client_with_key):
    f.TransactionFactory(updated_at=at("2020-10-10 08:00:00"))
    assert digest(client_with_key, "transactions") == {"feed": "transactions", **WINDOW, "rows": 0,
                                                       "checksum": "0000000000000000"}
    same = {"from": WINDOW["from"], "to": WINDOW["from"]}
    assert digest(client_with_key, "transactions", **same) == {"feed": "transactions", **same, "rows": 0,
                                                               "checksum": "0000000000000000"}


def test_a_feed_whose_window_is_optional_digests_every_row_without_one(client_with_key):
    f.TournamentFactory(id="t1", modified_at=at("2020-10-10 07:30:00"))
    f.TournamentFactory(id="t2", modified_at=at("2019-01-01 00:00:00"))
    response = client_with_key.get("/api/tournaments/digest")
    assert response.status_code == 200
    answer = response.json()
    assert (answer["from"], answer["to"], answer["rows"]) == (None, None, 2)
    assert (answer["rows"], answer["checksum"]) == consumer(client_with_key, "tournaments", "0", "9")


FAST = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
T0 = dt.datetime(2020, 10, 10, 7, tzinfo=dt.timezone.utc)
instants = st.integers(0, 7200).flatmap(
    lambda s: st.sampled_from([0, 1, 999_999]).map(lambda us: T0 + dt.timedelta(seconds=s, microseconds=us))
)
ids = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r"), min_size=1, max_size=12)
bounds = st.integers(0, 7200).map(lambda s: T0 + dt.timedelta(seconds=s))


@FAST
@given(rows=st.dictionaries(ids, instants, max_size=15), window=st.tuples(bounds, bounds),
       step=st.sampled_from(["", "1s", "7s", "5m", "1h", "1d"]))
def test_any_rows_any_window_any_step_match_the_consumers_checksum(client_with_key, rows, window, step):
    start, end = sorted(window)
    texts = {"from": f"{start:%Y-%m-%d %H:%M:%S}", "to": f"{end:%Y-%m-%d %H:%M:%S}"}
    with transaction.atomic():
        for id, stamp in rows.items():
            f.TransactionFactory(id=id, updated_at=stamp)
        answer = digest(client_with_key, "transactions", **texts, step=step)
        holding = held(get(client_with_key, "transactions", **HISTORY), "transactions")
        transaction.set_rollback(True)
    assert (answer["rows"], answer["checksum"]) == expected(holding, "transactions", texts["from"], texts["to"])
    if step:
        for part in answer["parts"]:
            assert (part["rows"], part["checksum"]) == expected(holding, "transactions", part["from"], part["to"])
    else:
        assert "parts" not in answer
