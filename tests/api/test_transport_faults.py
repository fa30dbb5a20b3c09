"""A feed answer cut by a fault is never mistaken for a complete one, over any transport.

The shipped stack for real: a private PostgreSQL cluster (tests/support/pgcluster.py) with
ROWS transactions, gunicorn with gunicorn.conf.py, and a real nginx in front of it in
nginx's default proxying (HTTP/1.0 upstream, buffering on) and in deploy/nginx.conf
(tests/support/nginx.py), each asked by HTTP/1.1 and HTTP/1.0 clients; and gunicorn asked
directly. While a pull of the whole window is in progress, one fault:

- ``terminate backend``: ``pg_terminate_backend`` of the database session serving it;
- ``stop database``: the database server stops at once (``pg_ctl -m immediate``);
- ``kill worker``: the gunicorn worker serving it gets SIGKILL.

"while read": as soon as the database is sending the window (the COPY runs): mid-stream
for a streamed answer, mid-spool for a spooled one. "while sent": a spooled answer whose
first 64 KiB the client has read (its sending is held back by the client not reading).

Every fault must reach the client as an error: a non-200 answer, or a transfer that
breaks (``http.client.IncompleteRead``, a reset). A 200 whose body reads to its end is
counted as truncated-as-complete if rows are missing (must be 0), or as "whole" (the
fault was missed) if it is whole (must be 0 too: a fault that lands after the end proves nothing). Run
with ``-s`` to see the table.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import nginx
from tests.support.pgcluster import PostgresCluster
from tests.support.servers import Gunicorn, manage, new_key, service_env
from tests.support.waiting import LIMIT, wait_until

pytestmark = pytest.mark.slow

ROWS = 300_000
QUERY = "/api/transactions?from=2020-10-10+00:00:00&to=2020-10-11+00:00:00"
SMALL_QUERY = "/api/transactions?from=2020-10-10+00:00:00&to=2020-10-10+00:00:01"


class HTTP10Connection(http.client.HTTPConnection):
    """http.client speaking HTTP/1.0 (it then sends no Host header by itself)."""

    _http_vsn = 10
    _http_vsn_str = "HTTP/1.0"


@dataclass(frozen=True)
class Transport:
    name: str
    server: str  # "gunicorn", "default nginx", "shipped nginx"
    http_1_0: bool

    @property
    def spooled(self) -> bool:
        # gunicorn sees HTTP/1.0 from the client, or from nginx's default proxying, or
        # the shipped nginx tells it its client's version.
        return self.http_1_0 or self.server == "default nginx"


TRANSPORTS = [
    Transport("gunicorn, HTTP/1.1 client", "gunicorn", False),
    Transport("gunicorn, HTTP/1.0 client", "gunicorn", True),
    Transport("default nginx, HTTP/1.1 client", "default nginx", False),
    Transport("default nginx, HTTP/1.0 client", "default nginx", True),
    Transport("shipped nginx, HTTP/1.1 client", "shipped nginx", False),
    Transport("shipped nginx, HTTP/1.0 client", "shipped nginx", True),
]
FAULTS = ["terminate backend", "stop database", "kill worker"]


def cases():
    for transport in TRANSPORTS:
        for fault in FAULTS:
            yield pytest.param(transport, fault, "while read", id=f"{transport.name}: {fault} while read")
        # Through default nginx the sending cannot be held: nginx reads the whole
        # length-framed answer into its buffers at once, before any kill could land.
        if transport.spooled and transport.server != "default nginx":
            yield pytest.param(transport, "kill worker", "while sent", id=f"{transport.name}: kill worker while sent")


RESULTS: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))


class Stack:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="intarget-faults-"))
        self.cluster = PostgresCluster.create()
        self.cluster.start()
        url = self.cluster.create_database("intarget")
        self.env = service_env(
            self.folder, url, WEB_CONCURRENCY="1", DEBUG="False", SECRET_KEY="tests-" + "x" * 50,
            SECURE_SSL_REDIRECT="False", ALLOWED_HOSTS="localhost,127.0.0.1",
            # A killed worker's stream slot is held until its lease expires (30 s): with the
            # shipped cap of 4 the next case would wait for it (429). The cap is tested elsewhere.
            API_MAX_STREAMS="100",
        )
        manage(self.env, "migrate", "-v0")
        self.key = new_key(self.env)
        self.load()
        self.gunicorn = Gunicorn(self.env, self.folder / "gunicorn.log")
        self.nginx = {
            "default nginx": nginx.Nginx(self.folder / "default-nginx", self.gunicorn.port, shipped=False),
            "shipped nginx": nginx.Nginx(self.folder / "shipped-nginx", self.gunicorn.port, shipped=True),
        }

    def load(self) -> None:
        with self.cluster.connect("intarget") as db:
            db.execute("SET intarget.preserve_timestamps = 'on'")  # keep the window's timestamps
            columns = "id, player_id, amount, currency, dir, created_at, updated_at"
            with db.cursor().copy(f"COPY payments_transaction ({columns}) FROM STDIN") as copy:
                for n in range(ROWS):
                    stamp = f"2020-10-10 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}+00"
                    copy.write_row((f"t{n:07d}", "p1", "12.5", "EUR", "IN", "2020-10-10 00:00:00+00", stamp))
            db.execute("ANALYZE payments_transaction")

    def port(self, transport: Transport) -> int:
        return self.gunicorn.port if transport.server == "gunicorn" else self.nginx[transport.server].port

    def copy_backends(self) -> list[int]:
        """Database sessions running a feed's COPY (the window being read)."""
        with self.cluster.connect("intarget", autocommit=True) as db:
            rows = db.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = 'intarget' AND pid <> pg_backend_pid() "
                "AND state = 'active' AND query LIKE 'COPY%'"
            ).fetchall()
        return [pid for (pid,) in rows]

    def wait_until_ready(self) -> None:
        """A small answer straight from gunicorn: its worker is up, its database too."""

        def served() -> bool:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.gunicorn.port, timeout=LIMIT)
                connection.request("GET", SMALL_QUERY, headers=self.headers())
                response = connection.getresponse()
                response.read()
                connection.close()
                return response.status == 200
            except (OSError, http.client.HTTPException):
                return False

        wait_until(served, "the service did not come back after a fault", every=0.2)

    def headers(self) -> dict[str, str]:
        # HTTP/1.0 clients such as curl --http1.0 send Host; http.client does not by itself.
        return {"X-Api-Key": self.key, "Host": "localhost"}

    def kill_workers(self) -> None:
        for pid in self.gunicorn.worker_pids():
            os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        for server in self.nginx.values():
            server.stop()
        self.gunicorn.stop()
        self.cluster.destroy()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def stack():
    assert nginx.available(), "nginx is missing: apt-get install nginx-light (.ci/run does it)"
    stack = Stack()
    yield stack
    stack.close()
    print_table()


def print_table() -> None:
    kinds = ["faults", "error answer", "broken transfer", "whole", "truncated as complete"]
    print("\n\nmid-answer faults per transport (tests/api/test_transport_faults.py, ROWS=%d)" % ROWS)
    print(f"{'transport':34}" + "".join(f"{kind:>23}" for kind in kinds))
    for transport in TRANSPORTS:
        counts = RESULTS[transport.name]
        print(f"{transport.name:34}" + "".join(f"{counts[kind]:>23}" for kind in kinds))
    total = {kind: sum(RESULTS[t.name][kind] for t in TRANSPORTS) for kind in kinds}
    print(f"{'all':34}" + "".join(f"{total[kind]:>23}" for kind in kinds))


@dataclass
class Outcome:
    kind: str  # "error answer", "broken transfer", "whole", "truncated as complete"
    status: int | None = None
    headers: dict[str, str] | None = None
    body: bytes = b""
    detail: str = ""


def is_whole(body: bytes) -> bool:
    """The CSV header line and every row, each ended by its LF."""
    lines = body.split(b"\n")
    return len(lines) == 1 + ROWS + 1 and lines[-1] == b"" and all(line.startswith(b"t") for line in lines[1:-1])


class Pull(threading.Thread):
    """A client pulling the whole window; it reads the first 64 KiB, then waits for the
    fault before reading on, so that the fault lands mid-answer."""

    def __init__(self, stack: Stack, transport: Transport):
        super().__init__(daemon=True)
        self.stack, self.transport = stack, transport
        self.receiving = threading.Event()
        self.fault_done = threading.Event()
        self.outcome: Outcome | None = None

    def run(self) -> None:
        try:
            self.outcome = self.pull()
        except (OSError, http.client.HTTPException) as error:
            self.outcome = Outcome("broken transfer", detail=repr(error))
        finally:
            self.receiving.set()

    def pull(self) -> Outcome:
        kind = HTTP10Connection if self.transport.http_1_0 else http.client.HTTPConnection
        connection = kind("127.0.0.1", self.stack.port(self.transport), timeout=60)
        connection.request("GET", QUERY, headers=self.stack.headers())
        response = connection.getresponse()
        headers = dict(response.getheaders())
        if response.status != 200:
            return Outcome("error answer", response.status, headers, response.read())
        first = response.read(65536)
        self.receiving.set()
        self.fault_done.wait(30)
        try:
            body = first + response.read()
        except (OSError, http.client.HTTPException) as error:
            return Outcome("broken transfer", 200, headers, detail=repr(error))
        return Outcome("whole" if is_whole(body) else "truncated as complete", 200, headers, body)


def inject(stack: Stack, pull: Pull, fault: str, moment: str) -> None:
    if moment == "while sent":
        assert pull.receiving.wait(LIMIT), "the answer never started"
    else:
        wait_until(stack.copy_backends, "the window was never read", every=0.005, alive=pull.is_alive)
        # A streamed answer: let its first bytes reach the client (the COPY, held back by
        # the client not reading, goes on). A spooled one sends nothing until it is done.
        pull.receiving.wait(0.3)
        assert stack.copy_backends(), "the window was read before the fault could land"
    if fault == "terminate backend":
        with stack.cluster.connect("intarget", autocommit=True) as db:
            for pid in stack.copy_backends():
                db.execute("SELECT pg_terminate_backend(%s)", (pid,))
    elif fault == "stop database":
        stack.cluster.stop("immediate")
    else:
        stack.kill_workers()
    pull.fault_done.set()


def recover(stack: Stack, fault: str) -> None:
    if fault == "stop database":
        stack.cluster.start()
        # The other threads' persistent connections died with the server: start afresh.
        stack.kill_workers()
    stack.wait_until_ready()


def test_without_a_fault_every_transport_answers_the_whole_window(stack):
    for transport in TRANSPORTS:
        pull = Pull(stack, transport)
        pull.fault_done.set()
        pull.start()
        pull.join(60)
        assert pull.outcome is not None and pull.outcome.kind == "whole", (transport.name, pull.outcome)
        framing = pull.outcome.headers.get("Content-Length") or pull.outcome.headers.get("Transfer-Encoding")
        if transport.spooled:
            assert int(pull.outcome.headers["Content-Length"]) == len(pull.outcome.body), transport.name
        else:
            assert pull.outcome.headers.get("Transfer-Encoding") == "chunked", (transport.name, framing)


@pytest.mark.parametrize("transport, fault, moment", list(cases()))
def test_a_fault_mid_answer_reaches_the_client_as_an_error(stack, transport, fault, moment):
    stack.wait_until_ready()
    pull = Pull(stack, transport)
    pull.start()
    try:
        inject(stack, pull, fault, moment)
    finally:
        pull.fault_done.set()
        pull.join(60)
        recover(stack, fault)
    outcome = pull.outcome
    assert outcome is not None, "the client never finished"
    RESULTS[transport.name]["faults"] += 1
    RESULTS[transport.name][outcome.kind] += 1
    assert outcome.kind in ("error answer", "broken transfer"), (outcome.kind, outcome.status, outcome.detail)
    if outcome.kind == "error answer":
        assert outcome.status >= 500, outcome
    if transport.spooled and moment == "while read" and fault != "kill worker":
        # The failure came before the first byte: the project's own answer, through any proxy.
        assert outcome.kind == "error answer" and outcome.status == 503, outcome
        assert json.loads(outcome.body)["error"]
        assert outcome.headers.get("Retry-After")
    if transport.server == "shipped nginx" and outcome.kind == "error answer":
        assert outcome.headers["Content-Type"].startswith("application/json"), outcome  # never nginx's HTML
