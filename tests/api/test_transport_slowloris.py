"""Slow clients: behind the shipped nginx, 200 slowloris connections do not stop the feeds.

A slowloris connection sends its request header one byte every few seconds and never
finishes it. Straight to gunicorn each one holds a worker thread (8 in the shipped
gunicorn.conf.py) while the header trickles in, so a handful of them stop the service.
nginx holds them for the price of a few hundred bytes each and drops each one after
``client_header_timeout``; the attacker here reconnects at once, so that CONNECTIONS
stay open all the time, while a puller asks for a feed again and again.

The figures (``-s``): requests served, failures, latency p50 / p99 / max.
For the contrast straight to gunicorn (not a test: it takes the service down):
``.venv/bin/python -m tests.api.test_transport_slowloris --straight``.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import nginx
from tests.support.servers import Gunicorn, migrate, new_key, service_env

pytestmark = pytest.mark.slow

CONNECTIONS = 200
SECONDS = 14  # past client_header_timeout (10 s): every connection is dropped and reopened once
BYTE_EVERY = 2.0  # seconds between two bytes of a slowloris header
QUERY = "/api/transactions?from=2020-10-10+00:00:00&to=2020-10-10+01:00:00"


class Slowloris(threading.Thread):
    """Keeps ``count`` connections open to ``port``, each sending a header that never ends."""

    def __init__(self, port: int, count: int):
        super().__init__(daemon=True)
        self.port, self.count = port, count
        self.stopping = threading.Event()
        self.sockets: list[socket.socket] = []
        self.reconnects = 0
        self.fewest_open = count
        self.open_per_tick: list[int] = []
        self.connect_errors: list[str] = []

    def connect(self) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            sock.settimeout(None)  # blocking: MSG_DONTWAIT below then answers at once
            sock.sendall(f"GET {QUERY} HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: ".encode())
            return sock
        except OSError as error:
            self.connect_errors.append(repr(error))
            return None

    @staticmethod
    def trickle(sock: socket.socket) -> bool:
        """One more byte of the header; False when the server has closed the connection
        (nginx: client_header_timeout)."""
        try:
            if sock.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
                sock.close()
                return False
        except BlockingIOError:
            pass  # nothing to read: still open
        except OSError:
            sock.close()
            return False
        try:
            sock.sendall(b"k")
            return True
        except OSError:
            sock.close()
            return False

    def run(self) -> None:
        self.sockets = [sock for sock in (self.connect() for _ in range(self.count)) if sock]
        while not self.stopping.wait(BYTE_EVERY):
            alive = [sock for sock in self.sockets if self.trickle(sock)]
            while len(alive) < self.count and not self.stopping.is_set():
                sock = self.connect()
                if sock is None:
                    break
                alive.append(sock)
                self.reconnects += 1
            if not self.stopping.is_set():
                self.fewest_open = min(self.fewest_open, len(alive))
                self.open_per_tick.append(len(alive))
            self.sockets = alive
        for sock in self.sockets:
            sock.close()


@dataclass
class Puller:
    port: int
    key: str
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def pull_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("GET", QUERY, headers={"X-Api-Key": self.key, "Host": "localhost"})
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status != 200:
                    self.failures.append(f"HTTP {response.status}")
                else:
                    self.latencies.append(time.monotonic() - started)
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(repr(error))
            time.sleep(0.1)

    def summary(self) -> str:
        if not self.latencies:
            return f"0 served, {len(self.failures)} failed ({self.failures[:1]})"
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (
            f"{len(ordered)} served, {len(self.failures)} failed; latency p50 {statistics.median(ordered) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
        )


def start_service(folder: Path) -> tuple[Gunicorn, str]:
    env = service_env(
        folder, None, DEBUG="False", SECRET_KEY="tests-" + "x" * 50, SECURE_SSL_REDIRECT="False",
        ALLOWED_HOSTS="localhost,127.0.0.1",
    )
    migrate(env)
    key = new_key(env)
    return Gunicorn(env, folder / "gunicorn.log"), key


def measure(port: int, key: str, seconds: float = SECONDS) -> tuple[Puller, Slowloris]:
    attack = Slowloris(port, CONNECTIONS)
    attack.start()
    time.sleep(BYTE_EVERY + 1)  # every slowloris connection open before the puller starts
    puller = Puller(port, key)
    puller.pull_for(seconds)
    attack.stopping.set()
    attack.join(30)
    return puller, attack


@pytest.fixture(scope="module")
def deployment():
    assert nginx.available(), "nginx is missing: apt-get install nginx-light (.ci/run does it)"
    folder = Path(tempfile.mkdtemp(prefix="intarget-slowloris-"))
    gunicorn, key = start_service(folder)
    proxy = nginx.Nginx(folder / "nginx", gunicorn.port, shipped=True)
    yield proxy, key
    proxy.stop()
    gunicorn.stop()
    shutil.rmtree(folder, ignore_errors=True)


def test_the_shipped_proxy_keeps_serving_while_200_slowloris_connections_are_open(deployment):
    proxy, key = deployment
    puller, attack = measure(proxy.port, key)
    print(
        f"\n\nshipped nginx + gunicorn, {CONNECTIONS} slowloris connections for {SECONDS} s "
        f"(fewest open at once: {attack.fewest_open}, reopened after nginx dropped them: {attack.reconnects}): "
        f"{puller.summary()}"
    )
    assert attack.fewest_open >= CONNECTIONS * 0.9, (attack.open_per_tick, attack.connect_errors[-3:])
    assert attack.reconnects >= CONNECTIONS, "nginx never dropped a slowloris connection (client_header_timeout)"
    assert puller.failures == []
    assert len(puller.latencies) >= SECONDS * 3  # served one after another, with 0.1 s pauses
    assert max(puller.latencies) < 5


if __name__ == "__main__":
    # Contrast: the same attack straight to gunicorn (--straight) or through the shipped nginx.
    straight = "--straight" in sys.argv
    folder = Path(tempfile.mkdtemp(prefix="intarget-slowloris-"))
    gunicorn, key = start_service(folder)
    proxy = None if straight else nginx.Nginx(folder / "nginx", gunicorn.port, shipped=True)
    try:
        puller, attack = measure(gunicorn.port if straight else proxy.port, key)
        where = "straight to gunicorn" if straight else "through the shipped nginx"
        print(f"{where}, {CONNECTIONS} slowloris connections for {SECONDS} s: {puller.summary()}")
    finally:
        if proxy:
            proxy.stop()
        gunicorn.stop()
        shutil.rmtree(folder, ignore_errors=True)
