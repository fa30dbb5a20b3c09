"""A compressed answer cut by a database failure never looks complete (PostgreSQL).

While a compressed pull of a large window is under way (the client has read its first
64 KiB and waits), the database session running its COPY is terminated. The compressor
must not write its end: the chunked transfer breaks (no terminating chunk) and what did
arrive is, to a decompressor, truncated input (no gzip trailer, no end of zstd frame).
Straight to gunicorn here; through a real nginx, shipped and default configurations, in
the slow suite. Without a fault, the same pulls decompress to the whole window (nginx
passes the compressed stream through untouched).
"""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import zlib

import pytest
import zstandard
from django.core.management import call_command

from tests.support import nginx
from tests.support.pg import raw_connection
from tests.support.servers import Gunicorn, database_url_of_tests, new_key, service_env
from tests.support.waiting import LIMIT, wait_until

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]

ROWS = 300_000
QUERY = "/api/transactions?from=2020-10-10+00:00:00&to=2020-10-11+00:00:00"
SMALL_QUERY = "/api/transactions?from=2020-10-10+00:00:00&to=2020-10-10+00:00:01"


class HTTP10Connection(http.client.HTTPConnection):
    _http_vsn = 10
    _http_vsn_str = "HTTP/1.0"


@pytest.fixture(scope="module")
def service(tmp_path_factory, django_db_setup, django_db_blocker):
    folder = tmp_path_factory.mktemp("compressed-truncation")
    with django_db_blocker.unblock():
        env = service_env(folder, database_url_of_tests(), WEB_CONCURRENCY="1", ALLOWED_HOSTS="localhost,127.0.0.1")
        with raw_connection() as db:
            db.execute("SET intarget.preserve_timestamps = 'on'")  # keep the window's timestamps
            columns = "id, player_id, amount, currency, dir, created_at, updated_at"
            with db.cursor().copy(f"COPY payments_transaction ({columns}) FROM STDIN") as copy:
                for n in range(ROWS):
                    stamp = f"2020-10-10 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}+00"
                    copy.write_row((f"t{n:07d}", f"p{n % 1000}", f"{n % 5000}.{n % 100:02d}", "EUR", "IN",
                                    "2020-10-10 00:00:00+00", stamp))
            db.execute("ANALYZE payments_transaction")
    try:
        key = new_key(env, "truncation")
        with Gunicorn(env, folder / "gunicorn.log") as server:
            yield server, key, folder
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


def copy_backends() -> list[int]:
    with raw_connection(autocommit=True) as db:
        rows = db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state = 'active' AND query LIKE 'COPY%'"
        ).fetchall()
    return [pid for (pid,) in rows]


def decompress(coding: str, body: bytes) -> bytes:
    """The whole decompressed body; raises when the input ends before the coding's end."""
    if coding == "gzip":
        return gzip.decompress(body)  # EOFError without its trailer
    decompressor = zstandard.ZstdDecompressor().decompressobj()
    data = decompressor.decompress(body)
    if not decompressor.eof:
        raise EOFError("zstd frame not ended")
    return data


def is_whole(body: bytes) -> bool:
    lines = body.split(b"\n")
    return len(lines) == ROWS + 2 and lines[-1] == b"" and all(line.startswith(b"t") for line in lines[1:-1])


class Pull(threading.Thread):
    """Reads the first 64 KiB, waits for ``go_on``, then reads what is left, keeping every
    byte that arrived even when the transfer breaks."""

    def __init__(self, port: int, key: str, coding: str, http_1_0: bool = False):
        super().__init__(daemon=True)
        self.port, self.key, self.coding, self.http_1_0 = port, key, coding, http_1_0
        self.started = threading.Event()
        self.go_on = threading.Event()
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self.broken: Exception | None = None

    def run(self) -> None:
        try:
            kind = HTTP10Connection if self.http_1_0 else http.client.HTTPConnection
            conn = kind("127.0.0.1", self.port, timeout=60)
            conn.request("GET", QUERY, headers={"X-Api-Key": self.key, "Accept-Encoding": self.coding,
                                                "Host": "localhost"})
            response = conn.getresponse()
            self.status, self.headers = response.status, {k.lower(): v for k, v in response.getheaders()}
            if response.status != 200:
                self.body = response.read()
                return
            received = [response.read(65536)]
            self.started.set()
            self.go_on.wait(30)
            try:
                while chunk := response.read(65536):
                    received.append(chunk)
            except http.client.IncompleteRead as error:
                received.append(error.partial)
                self.broken = error
            except OSError as error:
                self.broken = error
            self.body = b"".join(received)
        finally:
            self.started.set()


def pull_with_fault(port: int, key: str, coding: str, http_1_0: bool = False) -> Pull:
    pull = Pull(port, key, coding, http_1_0)
    pull.start()
    try:
        wait_until(copy_backends, "the window was never read", every=0.005, alive=pull.is_alive)
        pull.started.wait(0.3)
        backends = copy_backends()
        assert backends, "the window was read before the fault could land: more ROWS"
        with raw_connection(autocommit=True) as db:
            for pid in backends:
                db.execute("SELECT pg_terminate_backend(%s)", (pid,))
    finally:
        pull.go_on.set()
        pull.join(60)
    assert not pull.is_alive(), "the client never finished"
    return pull


def assert_detectably_incomplete(pull: Pull) -> None:
    assert pull.status == 200 and pull.headers["content-encoding"] == pull.coding
    assert pull.broken is not None, "the cut transfer ended cleanly"
    assert len(pull.body) >= 65536
    with pytest.raises((EOFError, zlib.error, zstandard.ZstdError)):
        decompress(pull.coding, pull.body)


def wait_until_served(port: int, key: str) -> None:
    """The worker's database connection died with the backend: its next request reconnects."""

    def served() -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=LIMIT)
        conn.request("GET", SMALL_QUERY, headers={"X-Api-Key": key})
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status == 200

    wait_until(served, "the service did not come back after a fault", every=0.2)


@pytest.mark.parametrize("coding", ["gzip", "zstd"])
def test_a_compressed_stream_cut_by_the_database_is_detectably_incomplete(service, coding):
    server, key, _ = service
    pull = pull_with_fault(server.port, key, coding)
    wait_until_served(server.port, key)
    assert_detectably_incomplete(pull)


@pytest.fixture(scope="module")
def proxies(service):
    assert nginx.available(), "nginx is missing: apt-get install nginx-light (.ci/run does it)"
    server, _, folder = service
    started = {
        "shipped": nginx.Nginx(folder / "shipped-nginx", server.port, shipped=True),
        "default": nginx.Nginx(folder / "default-nginx", server.port, shipped=False),
    }
    yield started
    for proxy in started.values():
        proxy.stop()


@pytest.mark.slow
@pytest.mark.parametrize("coding", ["gzip", "zstd"])
def test_through_nginx_a_whole_compressed_answer_decompresses_to_the_window(service, proxies, coding):
    _, key, _ = service
    for name, http_1_0 in (("shipped", False), ("shipped", True), ("default", False)):
        pull = Pull(proxies[name].port, key, coding, http_1_0)
        pull.go_on.set()
        pull.start()
        pull.join(60)
        assert pull.status == 200 and pull.broken is None, (name, http_1_0, pull.status, pull.broken)
        assert pull.headers["content-encoding"] == coding, name  # nginx neither strips nor re-encodes
        assert "accept-encoding" in pull.headers["vary"].lower()
        assert is_whole(decompress(coding, pull.body)), (name, http_1_0)


@pytest.mark.slow
@pytest.mark.parametrize("coding", ["gzip", "zstd"])
def test_through_shipped_nginx_a_cut_compressed_stream_is_detectably_incomplete(service, proxies, coding):
    server, key, _ = service
    pull = pull_with_fault(proxies["shipped"].port, key, coding)
    wait_until_served(server.port, key)
    assert_detectably_incomplete(pull)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "http_1_0"), [("default", False), ("shipped", True)])
def test_a_spooled_compressed_answer_whose_database_fails_is_an_error(service, proxies, name, http_1_0):
    """Spooled (an HTTP/1.0 hop): the failure comes before the first byte, a 503 in JSON,
    never a compressed 200."""
    server, key, _ = service
    pull = pull_with_fault(proxies[name].port, key, "gzip", http_1_0)
    wait_until_served(server.port, key)
    assert pull.status == 503, (pull.status, pull.body[:200])
    assert "content-encoding" not in pull.headers
    assert json.loads(pull.body)["error"]
