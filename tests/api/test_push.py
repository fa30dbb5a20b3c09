"""Push over HTTP (operations.md section 10): ``POST /api/<feed>`` with a push key, through
a real gunicorn (the shipped gunicorn.conf.py) onto a database of its own, SQLite or
PostgreSQL as the run is; the rows are checked in that database.

Every refusal is JSON naming what is wrong and, for a bad body, where; a refused push
leaves every table as it was, even when some of its rows had been written inside its
transaction before the fault was found."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.support.pgcluster import PrivateDatabase
from tests.support.servers import Gunicorn, manage, migrate, service_env
from tests.support.waiting import LIMIT, wait_until

# Small, so that the 413 tests send little; the 50 MiB default is test_push_memory.py's.
MAX_BYTES = 4_000_000
TX_HEADER = "id,player_id,amount,currency,dir,created_at,updated_at,comment"


class Service:
    """The gunicorn under test, its keys, and SQL on its database."""

    def __init__(self, server: Gunicorn, database: Path | str, push_key: str, pull_key: str):
        self.server, self.database = server, database
        self.push_key, self.pull_key = push_key, pull_key

    def sql(self, query: str, *params: object) -> list[tuple]:
        if isinstance(self.database, Path):
            with sqlite3.connect(self.database) as db:
                return db.execute(query, params).fetchall()
        with psycopg.connect(self.database, autocommit=True) as db:
            return db.execute(query.replace("?", "%s"), params).fetchall()

    def stamp(self, value: object) -> dt.datetime:
        """A stored timestamp as an aware UTC datetime (SQLite keeps text)."""
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC)
        return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)

    def push(self, feed: str, body: bytes | str, content_type: str = "text/csv", key: str | None = None,
             **headers: str) -> tuple[int, http.client.HTTPMessage, dict]:
        data = body.encode() if isinstance(body, str) else body
        sent = {"Authorization": f"Bearer {key or self.push_key}", "Content-Type": content_type, **headers}
        status, answer_headers, answer = self.server.request("POST", f"/api/{feed}", sent, data)
        return status, answer_headers, json.loads(answer)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    folder = tmp_path_factory.mktemp("push")
    private = PrivateDatabase("push") if connection.vendor == "postgresql" else None
    env = service_env(folder, private.url if private else None)
    try:
        migrate(env)
        # One process for what three commands would do (each starts Django: seconds in all).
        setup = (
            "from access.services import api_key_issue; from players.services import custom_field_define; "
            "custom_field_define(name='vip_level', type='integer'); "
            "print(api_key_issue(name='product backend', push=True)[1]); print(api_key_issue(name='InTarget')[1])"
        )
        push_key, pull_key = manage(env, "shell", "-c", setup).split()[-2:]  # the keys: the last lines
        with Gunicorn(env, folder / "gunicorn.log", PUSH_MAX_BYTES=str(MAX_BYTES), FINALITY_MAX_WAIT="1") as server:
            yield Service(server, private.url if private else folder / "db.sqlite3", push_key, pull_key)
    finally:
        if private:
            private.drop()


def tx_rows(prefix: str, count: int, amount: str = "12.50", start: int = 0, pad: int = 0) -> str:
    """CSV lines of transactions; ``pad`` characters more in each comment (rows of some
    size, so that a test reaches a byte count in few rows)."""
    padding = "x" * pad
    return "".join(
        f"{prefix}{n},p{n},{amount},EUR,IN,2020-10-10 07:00:00,2001-01-01 00:00:00,row {n}{padding}\n"
        for n in range(start, start + count)
    )


def transactions(service: Service, prefix: str) -> list[tuple]:
    return service.sql(
        "SELECT id, amount, comment, updated_at FROM payments_transaction WHERE id LIKE ? ORDER BY id", prefix + "%"
    )


def database_now(service: Service) -> dt.datetime:
    if isinstance(service.database, Path):
        return dt.datetime.now(dt.UTC)
    return service.sql("SELECT clock_timestamp()")[0][0].astimezone(dt.UTC)


# --- the happy paths ----------------------------------------------------------------


def test_a_csv_push_lands_stamped_by_the_service_and_a_second_push_upserts(service):
    before = database_now(service) - dt.timedelta(seconds=1)
    status, _, answer = service.push("transactions", TX_HEADER + "\n" + tx_rows("csv-", 3))
    assert (status, answer) == (200, {"rows": 3})
    first = transactions(service, "csv-")
    assert [(row[0], float(row[1]), row[2]) for row in first] == [(f"csv-{n}", 12.5, f"row {n}") for n in range(3)]
    stamps = [service.stamp(row[3]) for row in first]
    # The body's updated_at (2001) is ignored: the service stamps the change time.
    assert all(stamp >= before for stamp in stamps)

    status, _, answer = service.push("transactions", TX_HEADER + "\n" + tx_rows("csv-", 2, amount="99"))
    assert (status, answer) == (200, {"rows": 2})
    second = transactions(service, "csv-")
    assert [float(row[1]) for row in second] == [99, 99, 12.5]
    assert service.stamp(second[0][3]) >= stamps[0] and service.stamp(second[2][3]) == stamps[2]


def test_a_json_push_of_users_takes_their_custom_fields(service):
    objects = [
        {"id": f"json-u{n}", "registered_at": "2020-10-10 07:00:00", "modified_at": "2020-10-10 07:00:00",
         "vip_level": n, "city": "Berlin"}
        for n in (1, 2)
    ]
    status, _, answer = service.push("users", json.dumps(objects), "application/json; charset=utf-8")
    assert (status, answer) == (200, {"rows": 2})
    rows = service.sql("SELECT id, city, custom FROM players_player WHERE id LIKE ? ORDER BY id", "json-u%")
    assert [(id, city, json.loads(custom) if isinstance(custom, str) else custom) for id, city, custom in rows] == [
        ("json-u1", "Berlin", {"vip_level": "1"}), ("json-u2", "Berlin", {"vip_level": "2"}),
    ]


def test_game_actions_can_be_pushed(service):
    body = (
        "id,session_id,player_id,game_name,currency,action,amount,created_at\n"
        "ga-1,s1,p1,Book of Ra,EUR,bet,1.00,2020-10-10 07:00:00\n"
        "ga-2,s1,p1,Book of Ra,EUR,win,2.50,2020-10-10 07:00:01\n"
    )
    status, _, answer = service.push("game-actions", body)
    assert (status, answer) == (200, {"rows": 2})
    rows = service.sql("SELECT id, action, amount FROM games_gameaction WHERE id LIKE ? ORDER BY id", "ga-%")
    assert [(id, action, float(amount)) for id, action, amount in rows] == [("ga-1", "bet", 1.0), ("ga-2", "win", 2.5)]


def test_a_push_is_counted_in_the_metrics_and_never_logged_as_a_pull(service):
    status, _, _ = service.push("transactions", TX_HEADER + "\n" + tx_rows("metric-", 4))
    assert status == 200
    # The answer's closers (where push_ended is sent) run once it has been sent.
    def scraped() -> str:
        text = service.server.request("GET", "/metrics")[2].decode()
        return text if 'intarget_export_feed_pushes_total{feed="transactions",status="200"}' in text else ""

    text = wait_until(scraped, "no push counted in /metrics")
    rows = next(line for line in text.splitlines() if line.startswith('intarget_export_feed_pushed_rows_total{feed="transactions"}'))
    assert float(rows.split()[-1]) >= 4
    assert "product backend" not in text  # no key labels
    assert service.sql("SELECT count(*) FROM operations_pull WHERE key_name = 'product backend'") == [(0,)]


# --- refusals: the body ---------------------------------------------------------------


def test_a_bad_cell_refuses_the_whole_push_naming_its_line_and_column(service):
    service.push("transactions", TX_HEADER + "\n" + tx_rows("bad-", 1))  # exists before
    before = transactions(service, "bad-")
    body = TX_HEADER + "\n" + tx_rows("bad-", 2, amount="5") + "bad-9,p9,lots,EUR,IN,2020-10-10 07:00:00,,x\n"
    status, _, answer = service.push("transactions", body)
    assert status == 400
    assert (answer["line"], answer["column"]) == (4, "amount")
    assert "lots" in answer["error"] or "decimal" in answer["error"]
    assert answer["faults"] == [{"error": answer["error"], "line": 4, "column": "amount"}]
    assert transactions(service, "bad-") == before  # nothing written, nothing changed


def test_every_fault_is_listed_beside_the_first(service):
    rows = "".join(f"many-{n},p1,x{n},EUR,IN,2020-10-10 07:00:00,,\n" for n in range(3))
    status, _, answer = service.push("transactions", TX_HEADER + "\n" + rows)
    assert status == 400
    assert [(fault["line"], fault["column"]) for fault in answer["faults"]] == [(2, "amount"), (3, "amount"), (4, "amount")]
    assert transactions(service, "many-") == []


def test_a_json_fault_names_the_objects_position_in_the_array_as_its_line(service):
    good = {"id": "jbad-{}", "player_id": "p1", "amount": 1, "currency": "EUR", "dir": "IN",
            "created_at": "2020-10-10 07:00:00"}
    objects = [{**good, "id": f"jbad-{n}"} for n in range(3)]
    objects[2]["dir"] = "sideways"
    # Pretty-printed: the bad value sits on a line far below 3.
    status, _, answer = service.push("transactions", json.dumps(objects, indent=2), "application/json")
    assert status == 400
    assert (answer["line"], answer["column"]) == (3, "dir")
    assert transactions(service, "jbad-") == []


def test_malformed_json_is_refused_with_its_position(service):
    body = '[{"id": "mal-1", "player_id": "p1", "amount": 1, "currency": "EUR", "dir": "IN", ' \
           '"created_at": "2020-10-10 07:00:00"}, {"id": "mal-2" "player_id": "p1"}]'
    status, _, answer = service.push("transactions", body, "application/json")
    assert status == 400
    assert answer["line"] == 2 and answer["error"]
    assert transactions(service, "mal-") == []


@pytest.mark.parametrize("content_type", ["text/csv", "application/json"])
def test_an_empty_body_is_a_400(service, content_type):
    status, _, answer = service.push("transactions", b"", content_type)
    assert status == 400
    assert "empty" in answer["error"] and answer["line"] == 1


@pytest.mark.parametrize(
    "content_type, expected",
    [
        ("text/plain", "text/plain"),
        ("application/x-www-form-urlencoded", "x-www-form-urlencoded"),
        ("text/csv; charset=latin-1", "latin-1"),
    ],
)
def test_another_content_type_or_charset_is_a_415_naming_the_expected_ones(service, content_type, expected):
    status, _, answer = service.push("transactions", TX_HEADER + "\n" + tx_rows("type-", 1), content_type)
    assert status == 415
    assert expected in answer["error"] and "text/csv" in answer["error"] and "application/json" in answer["error"]
    assert transactions(service, "type-") == []


# --- refusals: size ------------------------------------------------------------------------


def raw_exchange(service: Service, head: bytes, body_parts: Iterator[bytes] = iter(())) -> tuple[int, dict]:
    """Send a request head, then the parts (stopping when the server answers), and read
    the answer: status and JSON body."""
    with socket.create_connection(("127.0.0.1", service.server.port), timeout=LIMIT) as sock:
        sock.sendall(head)
        try:
            for part in body_parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the rest was sent
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read())


def head(service: Service, feed: str, *lines: str) -> bytes:
    text = [f"POST /api/{feed} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {service.push_key}",
            "Content-Type: text/csv", *lines, "", ""]
    return "\r\n".join(text).encode()


def test_a_content_length_over_the_limit_is_refused_before_the_body_is_sent(service):
    # No byte of the body is ever sent: the answer cannot have waited for it.
    status, answer = raw_exchange(service, head(service, "transactions", f"Content-Length: {MAX_BYTES + 1}"))
    assert status == 413
    assert str(MAX_BYTES) in answer["error"] and "PUSH_MAX_BYTES" in answer["error"]


def test_a_chunked_body_over_the_limit_is_refused_once_past_it_and_nothing_is_written(service):
    # More good rows than the limit takes: rows are written inside the push's transaction
    # (in batches of 5000 rows, or blocks of a MiB) before the limit is reached, and rolled back.
    rows = (TX_HEADER + "\n" + tx_rows("chunk-", 11_000, pad=300)).encode()
    assert len(rows[:MAX_BYTES].splitlines()) > 10_001 and len(rows) > MAX_BYTES
    assert len(rows) > MAX_BYTES

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(rows), 65536):
            part = rows[start : start + 65536]
            yield b"%x\r\n%s\r\n" % (len(part), part)
        yield b"0\r\n\r\n"

    status, answer = raw_exchange(service, head(service, "transactions", "Transfer-Encoding: chunked"), chunks())
    assert status == 413 and "PUSH_MAX_BYTES" in answer["error"]
    assert transactions(service, "chunk-") == []


def test_a_chunked_body_under_the_limit_is_pushed(service):
    rows = (TX_HEADER + "\n" + tx_rows("small-chunk-", 50)).encode()
    parts = iter([b"%x\r\n%s\r\n" % (len(rows[:100]), rows[:100]), b"%x\r\n%s\r\n" % (len(rows[100:]), rows[100:]),
                  b"0\r\n\r\n"])
    status, answer = raw_exchange(service, head(service, "transactions", "Transfer-Encoding: chunked"), parts)
    assert (status, answer) == (200, {"rows": 50})
    assert len(transactions(service, "small-chunk-")) == 50


def test_a_body_cut_short_of_its_length_is_refused_and_nothing_is_written(service):
    rows = (TX_HEADER + "\n" + tx_rows("cut-", 10)).encode()
    with socket.create_connection(("127.0.0.1", service.server.port), timeout=LIMIT) as sock:
        sock.sendall(head(service, "transactions", f"Content-Length: {len(rows) + 500}") + rows)
        sock.shutdown(socket.SHUT_WR)  # the client is gone half-way
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 400
        assert "ended after" in json.loads(response.read())["error"]
    assert transactions(service, "cut-") == []


# --- refusals: who and where ---------------------------------------------------------------


def test_games_cannot_be_pushed_405_with_allow(service):
    status, headers, answer = service.push("games", "session_id\ns1\n")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert "games" in answer["error"]


def test_an_unknown_feed_is_a_json_404(service):
    status, _, answer = service.push("nope", TX_HEADER + "\n")
    assert status == 404 and "unknown feed 'nope'" in answer["error"]


def test_a_pull_key_may_not_push_and_a_push_key_may_not_pull(service):
    status, _, answer = service.push("transactions", TX_HEADER + "\n" + tx_rows("dir-", 1), key=service.pull_key)
    assert status == 403 and "direction rule" in answer["error"] and "pull key" in answer["error"]
    assert transactions(service, "dir-") == []
    status, _, body = service.server.get("/api/transactions?from=2020-10-10+07:00:00&to=2020-10-10+08:00:00",
                                         service.push_key)
    answer = json.loads(body)
    assert status == 403 and "direction rule" in answer["error"] and "push key" in answer["error"]


def test_no_key_or_a_wrong_key_is_a_401(service):
    body = (TX_HEADER + "\n" + tx_rows("anon-", 1)).encode()
    status, headers, answer = service.server.request(
        "POST", "/api/transactions", {"Content-Type": "text/csv"}, body
    )
    assert status == 401 and headers["WWW-Authenticate"] and json.loads(answer)["error"]
    status, _, answer = service.push("transactions", body, key="wrong")
    assert status == 401
    assert transactions(service, "anon-") == []


# --- finality ------------------------------------------------------------------------------


@pytest.mark.postgresql
def test_a_push_in_progress_holds_the_windows_it_may_still_stamp_into(service):
    """The push's transaction is an open writer like any import: a pull of a window that
    ended while it was open waits for it (503 after FINALITY_MAX_WAIT), then serves its rows."""
    # Enough that rows are written before the body ends (a batch is 5000 rows, or a MiB
    # of lines); under MAX_BYTES, of course.
    total = 9000
    rows = (TX_HEADER + "\n" + tx_rows("final-", total, pad=300)).encode()
    assert len(rows) < MAX_BYTES
    start = database_now(service).replace(microsecond=0) - dt.timedelta(minutes=1)
    sock = socket.create_connection(("127.0.0.1", service.server.port), timeout=LIMIT)
    try:
        sock.sendall(head(service, "transactions", "Transfer-Encoding: chunked"))
        first, rest = rows[: len(rows) * 9 // 10], rows[len(rows) * 9 // 10 :]
        sock.sendall(b"%x\r\n%s\r\n" % (len(first), first))
        # This database's lock only: other databases on the server have tables of the same oids.
        wait_until(lambda: service.sql("SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                       "WHERE c.relname = 'payments_transaction' AND l.mode = 'RowExclusiveLock' "
                                       "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                   "the push never began writing")
        end = database_now(service).replace(microsecond=0) + dt.timedelta(seconds=1)
        while database_now(service) < end:
            time.sleep(0.05)
        window = f"from={start:%Y-%m-%d+%H:%M:%S}&to={end:%Y-%m-%d+%H:%M:%S}"
        status, _, body = service.server.get(f"/api/transactions?{window}", service.pull_key)
        assert status == 503, body
        sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(rest), rest))
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert (response.status, json.loads(response.read())) == (200, {"rows": total})
    finally:
        sock.close()
    status, _, body = service.server.get(f"/api/transactions?{window}", service.pull_key)
    assert status == 200
    # The rows written before `to` are in the window, now that the push committed; those
    # written (stamped) after it belong to the next one.
    early = service.sql("SELECT count(*) FROM payments_transaction WHERE id LIKE ? AND updated_at < ?", "final-%", end)
    assert 0 < early[0][0] < total
    assert sum(line.startswith(b"final-") for line in body.splitlines()) == early[0][0]
