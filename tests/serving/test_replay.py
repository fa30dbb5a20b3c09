"""Replay: concurrent writers against InTarget pulling one-second windows at offset zero.

Writers insert and update users, transactions and game actions, through the ORM and
through plain SQL (another system writing straight into the tables), in transactions of
random length: some think before writing, some hold their rows open for seconds before
committing, some roll back. Deleters delete users, transactions, game actions and whole
sessions the same two ways, in the same kind of transactions. Meanwhile a puller asks,
over HTTP, for each consecutive window as soon as it ends, keeps the newest version of
every row it is served, as InTarget does, and applies the window's tombstones
(``/api/deletions``): a tombstone removes the row it holds under that id unless the
row's window timestamp is later than deleted_at (a row inserted again after it). At the
end the puller's copy must equal the database's final state: no row lost, none out of
date, none deleted and still held.

To see that it catches losses, switch a safeguard off:
    REPLAY_SWITCH_OFF=finality   serve windows without waiting for open writers (rows
                                 and tombstones of transactions open at a window's end
                                 are lost)
    REPLAY_SWITCH_OFF=stamping   disable the stamping triggers: the ORM stamps with the
                                 application clock, plain SQL with now() (transaction start)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from feeds import db_stamping
from games.models import GameAction
from payments.models import Transaction
from players.models import Player
from tests.support.factories import issue_key
from tests.support.pg import database_now, raw_connection

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

WRITE_SECONDS = 10
WINDOW = dt.timedelta(seconds=1)
FEEDS = ("users", "transactions", "games")
# The window timestamp of each feed's rows: a tombstone removes a version not later.
STAMP_COLUMNS = {"users": "modified_at", "transactions": "updated_at", "games": "updated_at"}
KEY_COLUMNS = {"users": "id", "transactions": "id", "games": "session_id"}
USERS = [f"u{n}" for n in range(15)]
TRANSACTIONS = [f"t{n}" for n in range(25)]
SESSIONS = [f"s{n}" for n in range(8)]
SWITCH_OFF = os.getenv("REPLAY_SWITCH_OFF", "")


class Rollback(Exception):
    pass


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def add(self, what: str) -> None:
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1


def action_time(rng: random.Random, now: dt.datetime) -> dt.datetime:
    # Mostly just now; sometimes a late-loaded action that happened long ago.
    if rng.random() < 0.15:
        return now - dt.timedelta(days=rng.randint(1, 400))
    return now - dt.timedelta(seconds=rng.uniform(0, 3))


def pause(rng: random.Random) -> float:
    return rng.choice([0, 0, 0, 0.05, 0.2, 0.6, 1.5, 2.5])


def orm_writer(seed: int, stop: threading.Event, tally: Tally) -> None:
    rng = random.Random(seed)
    try:
        while not stop.is_set():
            try:
                with transaction.atomic():
                    time.sleep(pause(rng))  # reads and thinks before writing
                    for _ in range(rng.randint(1, 3)):
                        kind = rng.choice(["user", "transaction", "action"])
                        if kind == "user":
                            player, _ = Player.objects.get_or_create(
                                id=rng.choice(USERS), defaults={"registered_at": database_now()}
                            )
                            player.first_name = f"orm-{rng.randint(0, 10**6)}"
                            player.save()
                        elif kind == "transaction":
                            Transaction.objects.update_or_create(
                                id=rng.choice(TRANSACTIONS),
                                defaults={
                                    "player_id": rng.choice(USERS), "amount": Decimal(rng.randint(1, 10**6)) / 100,
                                    "currency": "EUR", "dir": "IN", "created_at": database_now(),
                                    "status": rng.choice(Transaction.STATUSES),
                                },
                            )
                        else:
                            GameAction.objects.create(
                                id=str(uuid.uuid4()), session_id=rng.choice(SESSIONS), player_id=rng.choice(USERS),
                                game_name="Book of Ra", currency="EUR", action=rng.choice(GameAction.ACTIONS),
                                amount=Decimal(rng.randint(1, 500)) / 100, created_at=action_time(rng, database_now()),
                            )
                        tally.add(f"orm {kind}")
                    time.sleep(pause(rng))  # holds its rows open before committing
                    if rng.random() < 0.15:
                        raise Rollback
                tally.add("orm commit")
            except Rollback:
                tally.add("orm rollback")
            except DatabaseError:  # deadlock between writers: that transaction is lost, as in life
                tally.add("orm failed")
    finally:
        connection.close()


# The stamps these statements write are what a naive system would write: overridden by
# the triggers, kept when REPLAY_SWITCH_OFF=stamping disables them.
RAW_USER = """
INSERT INTO players_player (id, first_name, registered_at, modified_at, custom)
VALUES (%s, %s, now(), now(), '{}')
ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, modified_at = now()
"""
RAW_TRANSACTION = """
INSERT INTO payments_transaction (id, player_id, amount, currency, dir, status, created_at, updated_at)
VALUES (%s, %s, %s, 'USD', 'OUT', %s, now(), now())
ON CONFLICT (id) DO UPDATE SET amount = EXCLUDED.amount, status = EXCLUDED.status, updated_at = now()
"""
RAW_ACTION = """
INSERT INTO games_gameaction (id, session_id, player_id, game_name, currency, action, amount, created_at, recorded_at)
VALUES (%s, %s, %s, 'Starburst', 'USD', %s, %s, %s, now())
"""


def sql_writer(seed: int, stop: threading.Event, tally: Tally, connect=raw_connection) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    with connect() as other:
        while not stop.is_set():
            try:
                other.execute("SELECT count(*) FROM players_player")  # the transaction starts
                time.sleep(pause(rng))
                for _ in range(rng.randint(1, 3)):
                    kind = rng.choice(["user", "transaction", "action"])
                    if kind == "user":
                        other.execute(RAW_USER, [rng.choice(USERS), f"sql-{rng.randint(0, 10**6)}"])
                    elif kind == "transaction":
                        other.execute(RAW_TRANSACTION, [
                            rng.choice(TRANSACTIONS), rng.choice(USERS), Decimal(rng.randint(1, 10**9)) / 10**8,
                            rng.choice(Transaction.STATUSES),
                        ])
                    else:
                        now = other.execute("SELECT clock_timestamp()").fetchone()[0]
                        other.execute(RAW_ACTION, [
                            str(uuid.uuid4()), rng.choice(SESSIONS), rng.choice(USERS), rng.choice(GameAction.ACTIONS),
                            Decimal(rng.randint(1, 500)) / 100, action_time(rng, now),
                        ])
                    tally.add(f"sql {kind}")
                time.sleep(pause(rng))
                if rng.random() < 0.15:
                    other.rollback()
                    tally.add("sql rollback")
                else:
                    other.commit()
                    tally.add("sql commit")
            except DatabaseError:
                other.rollback()
                tally.add("sql failed")
            except Exception as error:  # psycopg's own errors (deadlocks) are not Django's
                if not isinstance(error, __import__("psycopg").Error):
                    raise
                other.rollback()
                tally.add("sql failed")


DELETES = {
    "user": "DELETE FROM players_player WHERE id = %s",
    "transaction": "DELETE FROM payments_transaction WHERE id = %s",
    # One action of a session (it keeps the others, or goes if it was the last), or all.
    "action": "DELETE FROM games_gameaction WHERE id = (SELECT min(id) FROM games_gameaction WHERE session_id = %s)",
    "session": "DELETE FROM games_gameaction WHERE session_id = %s",
}


def deletion(rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(list(DELETES))
    return kind, rng.choice({"user": USERS, "transaction": TRANSACTIONS}.get(kind, SESSIONS))


def orm_deleter(seed: int, stop: threading.Event, tally: Tally) -> None:
    """Deletes through the ORM, in transactions held open across window edges."""
    rng = random.Random(seed)
    try:
        while not stop.is_set():
            try:
                with transaction.atomic():
                    time.sleep(pause(rng))
                    kind, id = deletion(rng)
                    if kind == "user":
                        Player.objects.filter(id=id).delete()
                    elif kind == "transaction":
                        Transaction.objects.filter(id=id).delete()
                    elif kind == "action":
                        first = GameAction.objects.filter(session_id=id).order_by("id").values("id")[:1]
                        GameAction.objects.filter(id__in=first).delete()
                    else:
                        GameAction.objects.filter(session_id=id).delete()
                    tally.add(f"orm delete {kind}")
                    time.sleep(pause(rng))  # holds its deletion open
                    if rng.random() < 0.15:
                        raise Rollback
                tally.add("orm delete commit")
            except Rollback:
                tally.add("orm delete rollback")
            except DatabaseError:
                tally.add("orm delete failed")
            time.sleep(rng.uniform(0.05, 0.3))  # fewer deletions than writes
    finally:
        connection.close()


def sql_deleter(seed: int, stop: threading.Event, tally: Tally) -> None:
    """Another system deleting with plain SQL, in transactions held open across window edges."""
    rng = random.Random(seed)
    with raw_connection() as other:
        while not stop.is_set():
            try:
                other.execute("SELECT count(*) FROM players_player")  # the transaction starts
                time.sleep(pause(rng))
                kind, id = deletion(rng)
                other.execute(DELETES[kind], [id])
                tally.add(f"sql delete {kind}")
                time.sleep(pause(rng))
                if rng.random() < 0.15:
                    other.rollback()
                    tally.add("sql delete rollback")
                else:
                    other.commit()
                    tally.add("sql delete commit")
            except Exception as error:  # deadlocks: Django's or psycopg's errors
                if not isinstance(error, (DatabaseError, __import__("psycopg").Error)):
                    raise
                other.rollback()
                tally.add("sql delete failed")
            time.sleep(rng.uniform(0.05, 0.3))


class Puller:
    """InTarget: consecutive windows, each asked for as soon as it ends; upsert by id."""

    def __init__(self, base_url: str, key: str):
        self.base_url = base_url
        self.key = key
        self.copy: dict[str, dict[str, list[str]]] = {feed: {} for feed in FEEDS}
        self.header: dict[str, list[str]] = {}
        self.windows = 0
        self.retries = 0
        self.versions = 0
        self.tombstones = 0

    def get(self, feed: str, start: dt.datetime, end: dt.datetime) -> list[list[str]]:
        query = urllib.parse.urlencode({"from": f"{start:%Y-%m-%d %H:%M:%S}", "to": f"{end:%Y-%m-%d %H:%M:%S}"})
        request = urllib.request.Request(
            f"{self.base_url}/api/{feed}?{query}", headers={"Authorization": f"Bearer {self.key}"}
        )
        while True:
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    rows = list(csv.reader(io.StringIO(response.read().decode())))
                    self.header[feed] = rows[0]
                    return rows[1:]
            except urllib.error.HTTPError as error:
                assert error.code in (425, 503), error.read()
                self.retries += 1
                time.sleep(0.05)

    def pull(self, start: dt.datetime, end: dt.datetime) -> None:
        while dt.datetime.now(dt.timezone.utc) < end:
            time.sleep(0.01)
        for feed in FEEDS:
            for row in self.get(feed, start, end):
                self.copy[feed][row[self.header[feed].index(KEY_COLUMNS[feed])]] = row
                self.versions += 1
        for feed, id, deleted_at in self.get("deletions", start, end):
            held = self.copy.get(feed, {}).get(id)
            # Times as served compare as text; a row inserted again is served later.
            if held is not None and held[self.header[feed].index(STAMP_COLUMNS[feed])] <= deleted_at:
                del self.copy[feed][id]
            self.tombstones += 1
        self.windows += 1


def test_no_row_version_is_lost_or_out_of_date_under_concurrent_writers(live_server, settings):
    # The puller retries 425/503 every 50 ms: far more than a real puller's rate.
    settings.API_RATE_LIMIT = "1000000/min"
    _, key = issue_key("replay")
    if SWITCH_OFF == "finality":
        from django.conf import settings

        settings.FINALITY_WAIT_FOR_WRITERS = False
    if SWITCH_OFF == "stamping":
        with connection.cursor() as cursor:
            for table in db_stamping.STAMPED_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER stamp")

    tally = Tally()
    stop = threading.Event()
    writers = [threading.Thread(target=orm_writer, args=(n, stop, tally)) for n in range(2)]
    writers += [threading.Thread(target=sql_writer, args=(10 + n, stop, tally)) for n in range(2)]
    writers += [threading.Thread(target=orm_deleter, args=(20 + n, stop, tally)) for n in range(2)]
    writers += [threading.Thread(target=sql_deleter, args=(30 + n, stop, tally)) for n in range(2)]
    puller = Puller(live_server.url, key)
    try:
        final = replay(puller, writers, stop, database_now)
    finally:
        stop.set()
        if SWITCH_OFF == "stamping":
            with connection.cursor() as cursor:
                for table in db_stamping.STAMPED_TABLES:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER stamp")
    summary = replay_summary(puller, tally)
    print(summary)
    assert tally.counts.get("orm commit", 0) > 5 and tally.counts.get("sql commit", 0) > 5, summary
    assert tally.counts.get("orm delete commit", 0) > 3 and tally.counts.get("sql delete commit", 0) > 3, summary
    assert puller.tombstones > 5, summary
    problems = replay_problems(puller, final)
    assert not problems, "; ".join(problems) + f" ({summary})"


def replay(
    puller: Puller, writers: list[threading.Thread], stop: threading.Event, now, seconds: float = WRITE_SECONDS  # type: ignore[no-untyped-def]
) -> dict[str, dict[str, list[str]]]:
    """Start ``writers``; pull each window as it ends while they write for ``seconds``;
    stop them, pull the windows up to the last commit (``now()``: the database clock);
    return the final state, as the service answers one window covering all of it."""
    first = now().replace(microsecond=0) - WINDOW
    start = first
    for writer in writers:
        writer.start()
    writing_ends = time.monotonic() + seconds
    while time.monotonic() < writing_ends:
        puller.pull(start, start + WINDOW)
        start += WINDOW
    stop.set()
    for writer in writers:
        writer.join(30)
    done = now()
    while start <= done:  # drain: the windows up to the last commit
        puller.pull(start, start + WINDOW)
        start += WINDOW
    final = {}
    for feed in FEEDS:
        rows = puller.get(feed, first - dt.timedelta(days=1), start)
        final[feed] = {row[puller.header[feed].index(KEY_COLUMNS[feed])]: row for row in rows}
    return final


def replay_summary(puller: Puller, tally: Tally) -> str:
    return (
        f"{puller.windows} windows, {puller.versions} row versions and {puller.tombstones} tombstones served, "
        f"{puller.retries} answers 425/503; "
        f"writes: {dict(sorted(tally.counts.items()))}"
    )


def replay_problems(puller: Puller, final: dict[str, dict[str, list[str]]]) -> list[str]:
    """Per feed, the rows the puller's copy lacks, holds in an older version, or holds
    though they were deleted."""
    problems = []
    for feed in FEEDS:
        assert final[feed], f"{feed}: nothing written"
        lost = sorted(set(final[feed]) - set(puller.copy[feed]))
        stale = sorted(k for k in final[feed] if k in puller.copy[feed] and puller.copy[feed][k] != final[feed][k])
        deleted = sorted(set(puller.copy[feed]) - set(final[feed]))
        if lost or stale or deleted:
            problems.append(
                f"{feed}: {len(lost)} of {len(final[feed])} lost {lost[:5]}, {len(stale)} out of date {stale[:5]}, "
                f"{len(deleted)} deleted but still held {deleted[:5]}"
            )
    return problems
