"""The shipped gunicorn configuration streams to the end, and a stream that dies
mid-way ends as a broken transfer, never as a clean end of body."""

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROWS = 200_000
QUERY = "/api/transactions?from=2020-10-10+00:00:00&to=2020-10-11+00:00:00"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn with gunicorn.conf.py on its own SQLite file of ROWS transactions."""
    data = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(data), "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    key = subprocess.run([*manage, "create_api_key", "t"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    with sqlite3.connect(data / "db.sqlite3") as db:
        db.executemany(
            "INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at) "
            "VALUES (?, 'p1', '12.5', 'EUR', 'IN', '2020-10-10 00:00:00', ?)",
            ((f"t{n:07d}", f"2020-10-10 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}") for n in range(ROWS)),
        )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "intarget_export.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield port, key.stdout.splitlines()[-1], process
    process.terminate()
    process.wait(10)


def request(port: int, key: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", QUERY, headers={"Authorization": f"Bearer {key}"})
    return connection.getresponse()


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def test_a_long_stream_is_served_to_the_end(server):
    port, key, _ = server
    response = request(port, key)
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"
    lines = response.read().split(b"\n")
    assert lines[-1] == b""  # the body ends with a complete record
    assert {line.split(b",")[0] for line in lines[1:-1]} == {f"t{n:07d}".encode() for n in range(ROWS)}


def test_a_stream_whose_worker_dies_ends_as_a_broken_transfer(server):
    port, key, master = server
    response = request(port, key)
    assert response.status == 200
    assert response.read(65536)
    for pid in worker_pids(master.pid):
        os.kill(pid, signal.SIGKILL)
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        response.read()
