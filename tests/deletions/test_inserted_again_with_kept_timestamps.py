"""A row inserted again after its deletion is served after its tombstone, also when the
insertion keeps its timestamps (import_feed --preserve-timestamps, preserve_timestamps()):
assurance.md section 15, "no row lost", wins over keeping the file's value. A kept stamp
that falls in its id's latest tombstone's second or before it moves to the next whole
second after that tombstone; every other kept stamp is kept."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from deletions.models import Tombstone
from feeds.columns import format_timestamp
from feeds.stamping import preserve_timestamps
from games.models import GameSession
from players.models import Player
from tests.support.api import get
from tests.support.clock import Span, closed_window
from tests.support.digests import held
from tests.support.factories import PlayerFactory, at

pytestmark = pytest.mark.django_db

ROW = {"id": "pres1", "registered_at": "2024-03-10 06:00:00", "modified_at": "2024-03-10 07:10:00"}
ACTIONS = "id,session_id,player_id,game_name,currency,action,amount,created_at\n" \
          "a1,s1,p1,G,EUR,bet,2,2024-03-10 07:05:00\na2,s1,p1,G,EUR,win,5,2024-03-10 07:06:00\n"


def import_kept(tmp_path, feed: str, rows: list[dict] | str) -> None:
    path = tmp_path / ("rows.json" if isinstance(rows, list) else "rows.csv")
    path.write_text(json.dumps(rows) if isinstance(rows, list) else rows)
    call_command("import_feed", feed, str(path), "--preserve-timestamps", stdout=io.StringIO())


def after(tombstone: Tombstone) -> dt.datetime:
    """The next whole second after the tombstone."""
    return tombstone.deleted_at.replace(microsecond=0) + dt.timedelta(seconds=1)


def test_a_deleted_row_imported_again_with_its_old_stamp_is_served_after_its_tombstone(tmp_path, client_with_key):
    """The audit's reproduction: before, pres1 came back at 2024-03-10 07:10:00, long before
    its tombstone (the clock's), and a consumer applying both in time order lost it."""
    import_kept(tmp_path, "users", [ROW])
    call_command("delete_rows", "users", "pres1", stdout=io.StringIO())
    import_kept(tmp_path, "users", [ROW])
    tombstone = Tombstone.objects.get()
    assert Player.objects.get().modified_at == after(tombstone)
    # What a consumer pulls, in time order: the tombstone, then the row.
    window = closed_window(Span(tombstone.deleted_at, after(tombstone)))
    deleted = get(client_with_key, "deletions", **window).decode().splitlines()[1:]
    users = held(get(client_with_key, "users", **window), "users")
    assert deleted == [f"users,pres1,{format_timestamp(tombstone.deleted_at)}"]
    assert {id: row["modified_at"] for id, row in users.items()} == {"pres1": format_timestamp(after(tombstone))}
    assert format_timestamp(after(tombstone)) > format_timestamp(tombstone.deleted_at)


def test_a_kept_stamp_after_the_tombstone_s_second_is_kept_and_so_are_rows_without_a_tombstone(tmp_path):
    PlayerFactory(id="p1", modified_at=at("2024-03-10 07:00:00.5"))
    with preserve_timestamps():
        Player.objects.filter(id="p1").delete()  # a backfill's deletion: dated the second after
    assert Tombstone.objects.get().deleted_at == at("2024-03-10 07:00:01")
    import_kept(tmp_path, "users", [
        {"id": "p1", "registered_at": "2024-03-01 00:00:00", "modified_at": "2024-03-10 07:00:02"},
        {"id": "p2", "registered_at": "2024-03-01 00:00:00", "modified_at": "2024-03-10 07:00:00"},
    ])
    assert dict(Player.objects.values_list("id", "modified_at")) == {
        "p1": at("2024-03-10 07:00:02"), "p2": at("2024-03-10 07:00:00")}


def test_a_kept_stamp_in_the_tombstone_s_own_second_moves_to_the_next(tmp_path):
    PlayerFactory(id="p1", modified_at=at("2024-03-10 07:00:00.5"))
    with preserve_timestamps():
        Player.objects.filter(id="p1").delete()
    import_kept(tmp_path, "users", [{"id": "p1", "registered_at": "2024-03-01 00:00:00",
                                     "modified_at": "2024-03-10 07:00:01.75"}])
    assert Player.objects.get().modified_at == at("2024-03-10 07:00:02")


def test_a_row_made_again_in_a_block_that_keeps_its_timestamps_moves_too():
    PlayerFactory(id="p1", modified_at=at("2020-10-10 07:00:00"))
    Player.objects.filter(id="p1").delete()
    PlayerFactory(id="p1", modified_at=at("2020-10-10 07:00:00"))
    assert Player.objects.get().modified_at == after(Tombstone.objects.get())


def test_a_games_session_whose_actions_are_loaded_again_with_their_times_comes_back_after_its_tombstone(tmp_path):
    import_kept(tmp_path, "game-actions", ACTIONS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE games_gameaction")  # the audit's reproduction on PostgreSQL
    else:
        call_command("delete_rows", "games", "s1", stdout=io.StringIO())
    tombstone = Tombstone.objects.get()
    import_kept(tmp_path, "game-actions", ACTIONS)
    session = GameSession.objects.get()
    assert (session.updated_at, session.bet_count, session.win_count) == (after(tombstone), 1, 1)
