"""No row lost between windows: each known race on its own (docs/no-row-lost.md).

The replay of many writers against a pulling InTarget is tests/serving/test_replay.py.
"""

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from feeds import db_stamping
from feeds.stamping import StampedModel
from games.models import GameAction
from payments.models import Transaction
from tests.support.api import response_ids as csv_ids
from tests.support.clock import closed_window, stamping_span
from tests.support.factories import GameActionFactory, TransactionFactory, at
from tests.support.pg import Background, database_now, next_whole_second, raw_connection

ROOT = Path(__file__).resolve().parents[2]
postgresql = pytest.mark.postgresql


def window_until(end: dt.datetime) -> dict[str, str]:
    return {"from": f"{end - dt.timedelta(hours=1):%Y-%m-%d %H:%M:%S}", "to": f"{end:%Y-%m-%d %H:%M:%S}"}


def wait_for_database_clock(moment: dt.datetime) -> None:
    while database_now() < moment:
        time.sleep(0.02)


INSERT_TRANSACTION = """
INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at)
VALUES (%s, 'p1', 10, 'EUR', 'IN', now(), '2000-01-01')
"""


def test_every_stamped_model_has_a_trigger_definition():
    stamped = {
        model._meta.db_table: model.window_field
        for model in StampedModel.__subclasses__()
        for model in [model, *model.__subclasses__()]
    }
    assert stamped == db_stamping.STAMPED_TABLES


@postgresql
@pytest.mark.django_db(transaction=True)
def test_plain_sql_writes_are_stamped_by_the_database_clock():
    with stamping_span() as write, raw_connection(autocommit=True) as other:
        other.execute(INSERT_TRANSACTION, ["raw-1"])
    assert Transaction.objects.get(id="raw-1").updated_at in write
    with stamping_span() as update, raw_connection(autocommit=True) as other:
        other.execute("UPDATE payments_transaction SET status = 'Success', updated_at = '2000-01-01' WHERE id = 'raw-1'")
    assert Transaction.objects.get(id="raw-1").updated_at in update


@postgresql
@pytest.mark.django_db(transaction=True)
def test_stamp_is_the_time_of_the_write_not_of_the_transaction_start():
    # now() would give the transaction's start, before a window edge the write comes after.
    with raw_connection() as other:
        other.execute("SELECT 1")  # the transaction starts here
        time.sleep(0.3)
        with stamping_span() as write:
            other.execute(INSERT_TRANSACTION, ["late-writer"])
        other.commit()
    assert Transaction.objects.get(id="late-writer").updated_at in write


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_clock_stepping_back_never_moves_a_row_back():
    # Stamped later than the database clock now reads, as after a clock step backwards.
    TransactionFactory(id="t1", updated_at=at("2099-01-01 00:00:00"))
    with raw_connection(autocommit=True) as other:
        other.execute("UPDATE payments_transaction SET status = 'Fail' WHERE id = 't1'")
        other.execute(
            "INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at) "
            "VALUES ('t1', 'p1', 5, 'EUR', 'IN', now(), now()) "
            "ON CONFLICT (id) DO UPDATE SET amount = EXCLUDED.amount, updated_at = EXCLUDED.updated_at"
        )
    assert Transaction.objects.values_list("status", "amount", "updated_at").get() == (
        "Fail", 5, at("2099-01-01 00:00:00")
    )


@postgresql
@pytest.mark.django_db(transaction=True)
def test_open_transaction_across_the_window_edge_is_waited_for(client_with_key):
    """A row stamped before `to` but committed after the window ended is still served."""
    with raw_connection() as other:
        other.execute(INSERT_TRANSACTION, ["in-flight"])  # stamped now, not committed
        end = next_whole_second(database_now())
        wait_for_database_clock(end)
        pull = Background(lambda: client_with_key.get("/api/transactions", window_until(end)))
        pull.start()
        time.sleep(0.5)
        served_early = not pull.is_alive()
        other.commit()
    assert not served_early, "the window was served while a writer could still commit into it"
    assert csv_ids(pull.result()) == ["in-flight"]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_writer_open_past_the_bound_gets_503_with_retry_after_never_a_partial_window(client_with_key, settings):
    settings.FINALITY_MAX_WAIT = 0.3
    settings.FINALITY_RETRY_AFTER = 7
    TransactionFactory(id="committed", updated_at=database_now())
    with raw_connection() as other:
        other.execute(INSERT_TRANSACTION, ["in-flight"])
        end = next_whole_second(database_now())
        wait_for_database_clock(end)
        response = client_with_key.get("/api/transactions", window_until(end))
        other.commit()
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert "may still be in flight" in response.json()["error"]
    assert csv_ids(client_with_key.get("/api/transactions", window_until(end))) == ["committed", "in-flight"]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_each_poll_sees_writers_as_they_are_now():
    """finality.py polls without pg_stat_clear_snapshot() when it runs in autocommit (as
    requests do): each statement is then a transaction of its own, whose end drops the
    snapshot of pg_stat_activity. Inside a transaction the snapshot stays, and it clears it."""
    seen = "SELECT backend_xid IS NOT NULL FROM pg_stat_activity WHERE pid = %s"
    with raw_connection() as writer, connection.cursor() as cursor:
        pid = writer.info.backend_pid
        cursor.execute(seen, [pid])
        assert cursor.fetchone() == (False,)
        writer.execute("SELECT pg_current_xact_id()")
        cursor.execute(seen, [pid])
        assert cursor.fetchone() == (True,)
        writer.rollback()
        with transaction.atomic():
            cursor.execute(seen, [pid])
            assert cursor.fetchone() == (False,)
            writer.execute("SELECT pg_current_xact_id()")
            cursor.execute(seen, [pid])
            assert cursor.fetchone() == (False,)  # the transaction's first snapshot
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(seen, [pid])
            assert cursor.fetchone() == (True,)
        writer.rollback()


@postgresql
@pytest.mark.django_db(transaction=True)
def test_writers_of_other_tables_and_later_transactions_do_not_hold_a_window(client_with_key):
    end = next_whole_second(database_now())
    wait_for_database_clock(end)
    with raw_connection() as wallets_writer, raw_connection() as later_writer:
        wallets_writer.execute(
            "INSERT INTO payments_wallet (id, player_id, type, balance, currency, created_at) "
            "VALUES ('w1', 'p1', 'Normal', 1, 'EUR', now())"
        )
        later_writer.execute(INSERT_TRANSACTION, ["after-the-window"])  # began after `end`
        started = time.monotonic()
        assert csv_ids(client_with_key.get("/api/transactions", window_until(end))) == []
        assert time.monotonic() - started < 1
        wallets_writer.rollback()
        later_writer.rollback()


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_writer_between_stamping_and_its_transaction_id_is_waited_for(client_with_key):
    """no-row-lost.md race 2: a slow trigger after ours (or an ON CONFLICT wait) keeps the
    writer busy after it stamped; it must already have a transaction id by then."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION slow_after_stamp() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(2.5); RETURN NEW; END $$; "
            # Triggers fire in name order: "stamp", then this one.
            "CREATE TRIGGER stamp_slow BEFORE INSERT ON payments_transaction "
            "FOR EACH ROW EXECUTE FUNCTION slow_after_stamp()"
        )
    try:
        def write() -> None:
            with raw_connection(autocommit=True) as other:
                other.execute(INSERT_TRANSACTION, ["slow"])

        writer = Background(write)
        writer.start()
        time.sleep(0.5)  # stamped, now sleeping in the slow trigger
        end = next_whole_second(database_now())
        wait_for_database_clock(end)
        assert writer.is_alive()
        assert csv_ids(client_with_key.get("/api/transactions", window_until(end))) == ["slow"]
        writer.result()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER stamp_slow ON payments_transaction; DROP FUNCTION slow_after_stamp()"
            )


@pytest.mark.django_db
def test_a_late_game_action_brings_its_session_back_with_new_totals(client_with_key):
    # Served in its own window already.
    GameActionFactory(id="a1", session_id="s1", action="bet", amount=2, created_at=at("2020-10-10 07:10:00"))
    first = client_with_key.get("/api/games", {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"})
    assert b"".join(first.streaming_content).splitlines()[1].split(b",")[5:9] == [b"1", b"0", b"2", b"0"]
    # A win of that session that happened at 07:20 is loaded now, long after the window.
    with stamping_span() as load:
        GameAction.objects.bulk_create(
            [GameAction(id="a2", session_id="s1", player_id="p1", game_name="Book of Ra", currency="EUR",
                        action="win", amount=5, created_at=at("2020-10-10 07:20:00"))]
        )
    row = b"".join(client_with_key.get("/api/games", closed_window(load)).streaming_content).splitlines()[1]
    assert row.split(b",")[1] == b"s1"
    assert row.split(b",")[5:11] == [b"1", b"1", b"2", b"5", b"2020-10-10 07:10:00", b"2020-10-10 07:20:00"]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_role_that_cannot_see_other_sessions_is_refused_at_check_and_request_time():
    role = "intarget_unprivileged"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN")
        cursor.execute(f"GRANT SELECT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}")
    try:
        settings = connection.settings_dict
        url = f"postgresql://{role}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
        env = {**os.environ, "DATABASE_URL": url}
        check = subprocess.run(
            [sys.executable, "manage.py", "check", "--database", "default"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert check.returncode != 0
        assert "intarget_export.E010" in check.stderr and "pg_read_all_stats" in check.stderr
        export = subprocess.run(
            [sys.executable, "manage.py", "export_feed", "transactions", "--from", "2020-10-10 07:00:00",
             "--to", "2020-10-10 08:00:00"],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )
        assert export.returncode != 0
        assert "grant it pg_read_all_stats" in export.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_database_that_does_not_answer_in_time_is_a_503_in_json(client_with_key):
    with raw_connection() as locker:
        locker.execute("LOCK TABLE access_apikey IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 300")
        response = client_with_key.get("/api/transactions", window_until(next_whole_second(at("2020-10-10 07:00:00"))))
        locker.rollback()
    with connection.cursor() as cursor:
        cursor.execute("RESET statement_timeout")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"] == "5"
    assert response.json() == {"error": "the database is busy or unreachable; ask again shortly"}
