"""games_gamesession is kept by the database (games/session_triggers.py): every way of
writing actions, plain SQL and concurrent writers of one session included, leaves each
session's row equal to the aggregation of its actions, in the writer's own transaction."""

import io
import threading
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from games.models import GameAction, GameSession
from privacy.models import Erasure
from privacy.services import player_erase
from tests.support.factories import GameActionFactory, at
from tests.support.pg import Background, raw_connection

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.postgresql


def summary(session_id: str) -> tuple | None:
    row = GameSession.objects.filter(session_id=session_id).values_list(
        "first_action_id", "player_id", "ip", "bet_count", "win_count", "bet_amount", "win_amount", "created_at",
        "updated_at",
    )
    return row[0] if row else None


def test_an_action_moved_to_another_session_is_taken_out_of_the_old_one_and_into_the_new():
    GameActionFactory(id="a1", session_id="s1", amount=Decimal("2"), created_at=at("2020-10-10 07:00:00"))
    GameActionFactory(id="a2", session_id="s1", action="win", amount=Decimal("5"), created_at=at("2020-10-10 07:05:00"))
    GameActionFactory(id="b1", session_id="s2", amount=Decimal("1"), created_at=at("2020-10-10 07:10:00"))
    GameAction.objects.filter(id="a1").update(session_id="s2")
    assert summary("s1") == ("a2", "p1", "10.0.0.1", 0, 1, Decimal("0"), Decimal("5"), at("2020-10-10 07:05:00"),
                             at("2020-10-10 07:05:00"))
    assert summary("s2")[:1] + summary("s2")[3:] == (
        "a1", 2, 0, Decimal("3"), Decimal("0"), at("2020-10-10 07:00:00"), at("2020-10-10 07:10:00")
    )


def test_a_session_whose_last_action_is_deleted_has_no_row():
    GameActionFactory(id="a1", session_id="s1")
    GameActionFactory(id="a2", session_id="s1")
    GameAction.objects.filter(id="a1").delete()
    assert summary("s1")[0] == "a2"
    GameAction.objects.filter(id="a2").delete()
    assert summary("s1") is None and GameSession.objects.count() == 0


def test_an_upsert_of_actions_recomputes_their_sessions():
    GameActionFactory(id="a1", session_id="s1", amount=Decimal("1"), created_at=at("2020-10-10 07:00:00"))
    GameActionFactory(id="a2", session_id="s1", amount=Decimal("1"), created_at=at("2020-10-10 07:01:00"))
    changed = GameAction(**{**GameAction.objects.filter(id="a1").values()[0], "amount": Decimal("0.00000001")})
    new = GameAction(**{**GameAction.objects.filter(id="a2").values()[0], "id": "a0", "created_at": at("2020-10-10 06:00:00")})
    GameAction.objects.bulk_create(
        [changed, new], update_conflicts=True, unique_fields=["id"], update_fields=["amount", "created_at"]
    )
    assert summary("s1")[0] == "a0"
    assert summary("s1")[3:6] == (3, 0, Decimal("2.00000001"))


def test_a_reimport_that_moves_an_action_recomputes_both_sessions(tmp_path):
    header = "id,session_id,player_id,game_name,currency,action,amount,created_at\n"
    path = tmp_path / "actions.csv"
    path.write_text(header + "a1,s1,p1,G,EUR,bet,1.5,2020-10-10 07:10:00\na2,s1,p1,G,EUR,win,4,2020-10-10 07:11:00\n")
    call_command("import_feed", "game-actions", str(path), stdout=io.StringIO())
    assert summary("s1")[3:7] == (1, 1, Decimal("1.5"), Decimal("4"))
    path.write_text(header + "a2,s2,p2,G,EUR,win,4,2020-10-10 07:11:00\n")
    call_command("import_feed", "game-actions", str(path), stdout=io.StringIO())
    assert summary("s1")[3:7] == (1, 0, Decimal("1.5"), Decimal("0"))
    assert summary("s2")[:2] + summary("s2")[3:7] == ("a2", "p2", 0, 1, Decimal("0"), Decimal("4"))


def test_an_erasure_blanks_the_first_actions_ip_in_the_session_row_too():
    GameActionFactory(id="a1", session_id="s1", player_id="p1", ip="10.1.1.1", user_agent="Secret/1")
    GameActionFactory(id="b1", session_id="s2", player_id="p2", ip="10.2.2.2")
    player_erase(player_id="p1", operator="dpo", via=Erasure.Via.COMMAND)
    assert GameSession.objects.filter(session_id="s1").values_list("ip", "user_agent")[0] == (None, None)
    assert summary("s2")[2] == "10.2.2.2"


@postgresql
@pytest.mark.django_db(transaction=True)
def test_plain_sql_writes_and_truncate_keep_the_session_rows():
    with raw_connection(autocommit=True) as other:
        other.execute(
            "INSERT INTO games_gameaction (id, session_id, player_id, game_name, currency, action, amount, created_at,"
            " recorded_at) SELECT 'x' || g, 's' || (g % 3), 'p1', 'Book of Ra', 'EUR',"
            " CASE WHEN g % 2 = 0 THEN 'bet' ELSE 'win' END, g, timestamptz '2020-10-10 07:00:00+00' + g * interval '1 minute',"
            " now() FROM generate_series(1, 30) g"
        )
        assert summary("s0")[:1] + summary("s0")[3:7] == ("x3", 5, 5, Decimal("90"), Decimal("75"))
        other.execute("UPDATE games_gameaction SET session_id = 's1' WHERE session_id = 's0'")
        assert summary("s0") is None and summary("s1")[3:5] == (10, 10)
        other.execute("DELETE FROM games_gameaction WHERE id = 'x1'")
        assert summary("s1")[0] == "x3"
        other.execute("TRUNCATE games_gameaction")
    assert GameSession.objects.count() == 0


@postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_session_both_count():
    """Each writer's trigger recomputes the session from what it sees; the second waits on
    the session's row for the first to commit, then sees its action too."""
    GameActionFactory(id="a1", session_id="s1", amount=Decimal("1"), created_at=at("2020-10-10 07:00:00"))
    GameActionFactory(id="a2", session_id="s1", amount=Decimal("1"), created_at=at("2020-10-10 07:01:00"))
    with raw_connection() as first, raw_connection() as second:
        first.execute("UPDATE games_gameaction SET amount = 10 WHERE id = 'a1'")
        first.execute("INSERT INTO games_gameaction (id, session_id, player_id, game_name, currency, action, amount,"
                      " created_at, recorded_at) VALUES ('a3', 's1', 'p1', 'G', 'EUR', 'win', 7, now(), now())")
        started = threading.Event()

        def write_second():
            started.set()
            second.execute("UPDATE games_gameaction SET amount = 20 WHERE id = 'a2'")
            second.commit()

        writer = Background(write_second)
        writer.start()
        started.wait(5)
        time.sleep(0.3)  # the second writer now waits for the session's row
        assert writer.is_alive()
        first.commit()
        writer.result()
    assert summary("s1")[3:7] == (2, 1, Decimal("30"), Decimal("7"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM games_gamesession")
        assert cursor.fetchone()[0] == 1
