"""Erasure (operations.md section 11) is not deletion: an erased player's rows stay,
blanked, and served again; no tombstone."""

import io

import pytest
from django.core.management import call_command

from deletions.models import Tombstone
from players.models import Player
from tests.support.factories import ContactFactory, GameActionFactory, PlayerFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def test_an_erasure_leaves_the_rows_blanked_and_no_tombstone():
    ContactFactory(player=PlayerFactory(id="p1", first_name="Ada"))
    TransactionFactory(id="t1", player_id="p1", requisite="4111 **** 1111")
    GameActionFactory(id="a1", player_id="p1", ip="10.0.0.1")
    call_command("erase_player", "p1", stdout=io.StringIO())
    assert Player.objects.get(id="p1").first_name is None
    assert not Tombstone.objects.exists()
