"""Time order between a row's versions and its tombstones, to the second as served
(assurance.md section 15): a tombstone is served later than the version it deletes, and
a row inserted again after its deletion later than its tombstone, however fast the
three follow each other; so a consumer that applies both in time order ends with the
row. A backfill that keeps its timestamps keeps them, but for a row inserted again after
its deletion (tests/deletions/test_inserted_again_with_kept_timestamps.py)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from deletions.models import Tombstone
from feeds.columns import format_timestamp
from feeds.stamping import preserve_timestamps
from payments.models import Transaction
from players.models import Player
from tests.support.factories import PlayerFactory, at

pytestmark = pytest.mark.django_db

TRANSACTION = "id,player_id,amount,currency,dir,created_at,updated_at\nt1,p1,12.5,EUR,IN,2020-10-10 07:00:00,{stamp}\n"


def served(moment) -> str:
    return format_timestamp(moment)


def player(id: str = "p1") -> Player:
    """Written as the service writes: stamped now."""
    return Player.objects.create(id=id, registered_at=timezone.now(), modified_at=timezone.now())


def test_delete_then_insert_again_at_once_serves_row_tombstone_and_row_in_that_order():
    first = player()
    first.refresh_from_db()
    Player.objects.filter(id="p1").delete()
    again = player()
    again.refresh_from_db()
    tombstone = Tombstone.objects.get()
    assert first.modified_at < tombstone.deleted_at < again.modified_at
    # As served, whole seconds: strictly in that order too.
    assert served(first.modified_at) < served(tombstone.deleted_at) < served(again.modified_at)


def test_each_deletion_and_insertion_again_moves_on_by_a_served_second():
    player()
    stamps = []
    for _ in range(3):
        Player.objects.filter(id="p1").delete()
        player()
    for tombstone in Tombstone.objects.order_by("deleted_at"):
        stamps.append(served(tombstone.deleted_at))
    stamps.append(served(Player.objects.get().modified_at))
    assert stamps == sorted(set(stamps)) and len(stamps) == 4


def test_an_import_of_a_deleted_row_is_stamped_after_its_tombstone(tmp_path):
    path = tmp_path / "transactions.csv"
    path.write_text(TRANSACTION.format(stamp="2020-10-10 07:00:00"))
    call_command("import_feed", "transactions", str(path), stdout=io.StringIO())
    call_command("delete_rows", "transactions", "t1", stdout=io.StringIO())
    call_command("import_feed", "transactions", str(path), stdout=io.StringIO())
    assert served(Transaction.objects.get().updated_at) > served(Tombstone.objects.get().deleted_at)


def test_an_old_tombstone_leaves_a_later_insertion_alone():
    PlayerFactory(id="p1", modified_at=at("2020-10-10 07:00:00"))
    Player.objects.filter(id="p1").delete()
    Tombstone.objects.update(deleted_at=at("2020-10-10 07:00:01"))  # as if long ago
    before = timezone.now()
    again = player()
    again.refresh_from_db()
    assert again.modified_at >= before.replace(microsecond=0)  # the clock's, not moved on
    assert served(again.modified_at) <= served(timezone.now())


def test_a_backfill_that_keeps_its_timestamps_still_inserts_a_deleted_row_after_its_tombstone():
    PlayerFactory(id="p1", modified_at=at("2020-10-10 07:00:00"))
    Player.objects.filter(id="p1").delete()
    with preserve_timestamps():
        Player.objects.create(id="p1", registered_at=at("2020-01-01 00:00:00"), modified_at=at("2020-10-10 07:00:00"))
    # Not its kept 07:00:00, long before the tombstone (the clock's).
    assert served(Player.objects.get().modified_at) > served(Tombstone.objects.get().deleted_at)


def test_a_tombstone_is_served_after_a_version_stamped_in_the_future():
    PlayerFactory(id="p1", modified_at=at("2999-01-01 00:00:00.25"))
    Player.objects.filter(id="p1").delete()
    assert served(Tombstone.objects.get().deleted_at) == "2999-01-01 00:00:01"


def test_in_a_backfill_that_keeps_its_timestamps_a_tombstone_is_dated_the_second_after_the_row():
    """Backfills, the demo and test data place rows in the past; their deletions too."""
    PlayerFactory(id="p1", modified_at=at("2020-10-10 07:00:00.5"))
    with preserve_timestamps():
        Player.objects.filter(id="p1").delete()
    assert Tombstone.objects.get().deleted_at == at("2020-10-10 07:00:01")
    PlayerFactory(id="p2", modified_at=at("2020-10-10 07:00:00.5"))
    Player.objects.filter(id="p2").delete()  # outside it: the clock
    assert Tombstone.objects.get(row_id="p2").deleted_at > at("2026-01-01 00:00:00")
