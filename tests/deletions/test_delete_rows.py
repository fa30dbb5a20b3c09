"""``python manage.py delete_rows <feed> <id> [<id> …]`` (assurance.md section 15): any
served feed and game-actions; one transaction; prints how many; names the ids it did not
find; none found, or an unknown feed, is a non-zero exit status naming it."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from deletions.models import Tombstone
from games.models import GameAction
from payments.models import Transaction
from players.models import Contact
from tests.support.factories import ContactFactory, GameActionFactory, PlayerFactory, TransactionFactory
from tests.support.servers import run_manage, shared_database_env

pytestmark = pytest.mark.django_db


def delete_rows(*args: str) -> str:
    out = io.StringIO()
    call_command("delete_rows", *args, stdout=out)
    return out.getvalue()


def test_it_deletes_the_rows_prints_how_many_and_names_the_ids_not_found():
    for id in ("t1", "t2", "t3"):
        TransactionFactory(id=id)
    assert delete_rows("transactions", "t1", "t3", "t9", "t1") == (
        "deleted 2 rows of transactions\nnot found in transactions: t9\n"
    )
    assert list(Transaction.objects.values_list("id", flat=True)) == ["t2"]
    assert sorted(Tombstone.objects.values_list("feed", "row_id")) == [("transactions", "t1"), ("transactions", "t3")]


def test_contacts_by_player_id_games_by_session_id_and_game_actions_by_their_own():
    ContactFactory(player=PlayerFactory(id="p1"))
    for id, session in [("a1", "s1"), ("a2", "s1"), ("a3", "s2"), ("a4", "s2")]:
        GameActionFactory(id=id, session_id=session)
    assert delete_rows("contacts", "p1") == "deleted 1 row of contacts\n"
    assert not Contact.objects.exists()
    assert delete_rows("games", "s1") == "deleted 1 row of games (2 game actions)\n"
    assert delete_rows("game-actions", "a3") == "deleted 1 row of game-actions\n"
    assert list(GameAction.objects.values_list("id", flat=True)) == ["a4"]
    assert sorted(Tombstone.objects.values_list("feed", "row_id")) == [("contacts", "p1"), ("games", "s1")]


def test_none_found_is_an_error_naming_them_and_deletes_nothing():
    TransactionFactory(id="t1")
    with pytest.raises(CommandError, match="none of the ids was found in transactions: t8, t9"):
        delete_rows("transactions", "t8", "t9")
    assert Transaction.objects.count() == 1


@pytest.mark.parametrize("feed", ["nope", "deletions"])
def test_an_unknown_feed_or_the_deletions_feed_is_refused_by_name(feed):
    with pytest.raises(CommandError, match=f"(?i)no deletable feed '{feed}'; .*the deletable feeds: users, contacts"):
        delete_rows(feed, "x")


@pytest.mark.django_db(transaction=True)
def test_as_a_process_it_exits_non_zero_when_none_is_found_and_zero_otherwise(tmp_path):
    env = shared_database_env(tmp_path)
    done = run_manage(env, "delete_rows", "users", "nobody")
    assert done.returncode == 1 and "none of the ids was found in users: nobody" in done.stderr
    done = run_manage(env, "delete_rows", "bogus", "x")
    assert done.returncode == 1 and "no deletable feed 'bogus'" in done.stderr
