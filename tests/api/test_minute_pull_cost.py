"""What a one-minute pull costs the database, counted in statements (issue 18, item 11):
at most MAX_STATEMENTS, so that the cost cannot creep back.

Counted on the wire, as the server receives them: the request's connection goes through a
small proxy that reads the frontend protocol and counts each statement sent, a simple
Query message (BEGIN, COMMIT, COPY …) or an extended-protocol Execute, whatever sent it
(Django, psycopg's own BEGIN and COMMIT, a raw cursor). A request in the test client uses
its thread's one connection, so this is every statement of the pull: the key's lookup, its
limits, finality, the lock check, the COPY, the pull log and the stream slot given back.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import struct
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.support.factories import TransactionFactory, issue_key

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

# A warm one-minute pull (24 before issue 18, item 11): the key's lookup; its rate count
# with its stream slot; finality's first look (clock, privilege, writers); the lock
# check (a DO block); BEGIN, the stream's settings, COPY, COMMIT; the pull log; the slot
# given back.
MAX_STATEMENTS = 10


class CountingProxy:
    """A TCP proxy to the database that counts the statements of the frontend stream."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.statements: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._frontend, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()

    def _frontend(self, source: socket.socket, sink: socket.socket) -> None:
        buffer = b""
        started = False  # the startup message has no type byte
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                buffer += data
                while True:
                    if not started:
                        if len(buffer) < 4:
                            break
                        (length,) = struct.unpack("!i", buffer[:4])
                        if len(buffer) < length:
                            break
                        buffer, started = buffer[length:], True
                        continue
                    if len(buffer) < 5:
                        break
                    kind = buffer[:1]
                    (length,) = struct.unpack("!i", buffer[1:5])
                    if len(buffer) < 1 + length:
                        break
                    body, buffer = buffer[5 : 1 + length], buffer[1 + length :]
                    self._seen(kind, body)
        except OSError:
            pass
        finally:
            sink.close()

    def _seen(self, kind: bytes, body: bytes) -> None:
        with self.lock:
            if kind == b"Q":  # a simple query: one statement (the test checks none holds several)
                self.statements.append(body.rstrip(b"\0").decode())
            elif kind == b"P":  # Parse: remember the text for the Execute that follows
                name, _, rest = body.partition(b"\0")
                self._parsed = rest.partition(b"\0")[0].decode()
            elif kind == b"E":  # an extended-protocol statement run
                self.statements.append(getattr(self, "_parsed", "(prepared)"))

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def counted_connection() -> Iterator[CountingProxy]:
    settings = connection.settings_dict
    proxy = CountingProxy(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    saved = (settings["HOST"], settings["PORT"], dict(settings["OPTIONS"]))
    connection.close()
    settings["HOST"], settings["PORT"] = "127.0.0.1", proxy.port
    settings["OPTIONS"]["sslmode"] = "disable"  # the proxy reads the protocol in clear
    try:
        yield proxy
    finally:
        connection.close()
        settings["HOST"], settings["PORT"], settings["OPTIONS"] = saved[0], saved[1], saved[2]
        proxy.close()


def pull(client: APIClient, window: dict[str, str]) -> bytes:
    response = client.get("/api/transactions", window)
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content)
    response.close()
    return body


def test_a_warm_one_minute_pull_costs_at_most_max_statements(counted_connection):
    end = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) - dt.timedelta(minutes=2)
    start = end - dt.timedelta(minutes=1)
    for n in range(5):
        TransactionFactory(updated_at=start + dt.timedelta(seconds=10 * n), amount=Decimal("1.50"))
    _, secret = issue_key("cost")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    window = {"from": f"{start:%Y-%m-%d %H:%M:%S}", "to": f"{end:%Y-%m-%d %H:%M:%S}"}
    assert pull(client, window).count(b"\n") == 6  # warm: the header and the five rows
    counted_connection.statements.clear()

    assert pull(client, window).count(b"\n") == 6
    with counted_connection.lock:
        statements = list(counted_connection.statements)
    listing = "\n".join(f"  {text.strip()[:120]}" for text in statements)
    assert len(statements) <= MAX_STATEMENTS, f"{len(statements)} statements:\n{listing}"
    # A message of several statements (``BEGIN; …; COMMIT``) would count as one here.
    assert not [text for text in statements if ";" in top_level(text).strip().rstrip(";")], listing


def top_level(sql: str) -> str:
    """``sql`` without its string literals and dollar-quoted bodies (a DO block's)."""
    return re.sub(r"\$\$.*?\$\$|'(?:[^']|'')*'", "", sql, flags=re.S)
