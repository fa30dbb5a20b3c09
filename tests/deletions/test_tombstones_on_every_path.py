"""A row deleted from a served feed, by any path, leaves a tombstone naming the feed and
the row's id (assurance.md section 15): one instance or a queryset through the ORM, plain
SQL, a TRUNCATE (PostgreSQL), a changed id; stamped from the database clock. contacts
are named by their player_id."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from deletions.models import Tombstone
from payments.models import Transaction
from players.models import Contact, Player
from tests.support.factories import (
    BetFactory,
    BetSelectionFactory,
    ContactFactory,
    LoginFactory,
    PlayerFactory,
    SportEventFactory,
    TournamentFactory,
    TransactionFactory,
    WalletFactory,
)
from tests.support.pg import database_now, raw_connection

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.postgresql

# One factory per feed whose rows are model rows (games: tests/deletions/test_game_sessions.py).
ROWS = {
    "users": lambda: PlayerFactory(id="x1"),
    "contacts": lambda: ContactFactory(player=PlayerFactory(id="x1")),
    "logins": lambda: LoginFactory(id="x1"),
    "transactions": lambda: TransactionFactory(id="x1"),
    "wallets": lambda: WalletFactory(id="x1"),
    "tournaments": lambda: TournamentFactory(id="x1"),
    "sport-events": lambda: SportEventFactory(id="x1"),
    "bets": lambda: BetFactory(id="x1"),
    "bet-selections": lambda: BetSelectionFactory(id="x1"),
}


def tombstones() -> list[tuple[str, str]]:
    return list(Tombstone.objects.order_by("deleted_at", "feed", "row_id").values_list("feed", "row_id"))


@pytest.mark.parametrize("feed", ROWS)
def test_deleting_a_row_of_any_feed_leaves_its_tombstone_stamped_by_the_clock(feed):
    row = ROWS[feed]()
    before = database_now() if connection.vendor == "postgresql" else dt.datetime.now(dt.timezone.utc)
    row.delete()
    assert tombstones() == [(feed, "x1")]
    # The clock at the deletion (the row's own stamp, from 2020, is long before it).
    assert Tombstone.objects.get().deleted_at >= before - dt.timedelta(milliseconds=1)


def test_a_queryset_delete_leaves_one_tombstone_per_row_and_other_rows_stay():
    for id in ("t1", "t2", "t3"):
        TransactionFactory(id=id)
    Transaction.objects.filter(id__in=["t1", "t3"]).delete()
    assert sorted(tombstones()) == [("transactions", "t1"), ("transactions", "t3")]
    assert list(Transaction.objects.values_list("id", flat=True)) == ["t2"]


def test_a_contact_is_named_by_its_player_id():
    ContactFactory(player=PlayerFactory(id="p7"))
    Contact.objects.all().delete()
    assert tombstones() == [("contacts", "p7")]  # the player stays: a row of another feed
    assert Player.objects.filter(id="p7").exists()


def test_a_plain_sql_delete_leaves_tombstones():
    PlayerFactory(id="p1")
    PlayerFactory(id="p2")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM players_player WHERE id = 'p2'")
    assert tombstones() == [("users", "p2")]


def test_changing_a_rows_id_leaves_a_tombstone_of_the_old_id():
    TransactionFactory(id="t1")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE payments_transaction SET id = 't9' WHERE id = 't1'")
    assert tombstones() == [("transactions", "t1")]


def test_a_change_that_keeps_the_id_leaves_none():
    TransactionFactory(id="t1")
    Transaction.objects.filter(id="t1").update(status="Fail")
    assert tombstones() == []


@postgresql
@pytest.mark.django_db(transaction=True)
def test_another_systems_plain_sql_delete_and_truncate_leave_tombstones():
    for id in ("p1", "p2", "p3"):
        PlayerFactory(id=id)
    TransactionFactory(id="t1")
    with raw_connection(autocommit=True) as other:
        other.execute("DELETE FROM players_player WHERE id IN ('p1', 'p2')")
        assert sorted(tombstones()) == [("users", "p1"), ("users", "p2")]
        other.execute("TRUNCATE players_player, payments_transaction")
    assert sorted(tombstones()) == [("transactions", "t1"), ("users", "p1"), ("users", "p2"), ("users", "p3")]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_tombstone_is_written_in_the_deleting_transaction_and_rolls_back_with_it():
    PlayerFactory(id="p1")
    with raw_connection() as other:
        other.execute("DELETE FROM players_player WHERE id = 'p1'")
        assert tombstones() == []  # not committed: not seen
        other.rollback()
    assert tombstones() == [] and Player.objects.filter(id="p1").exists()
