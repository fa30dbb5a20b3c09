"""The service under the shipped gunicorn.conf.py, as a subprocess on a given database.

For tests that measure behaviour only a real server shows (threads, workers, sockets).
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_of_tests() -> str:
    """DATABASE_URL of the database this test run uses (pytest-django's test database)."""
    settings = connection.settings_dict
    user = urllib.parse.quote(settings["USER"] or "")
    password = urllib.parse.quote(settings["PASSWORD"] or "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgresql://{auth}{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def manage(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def create_key(env: dict[str, str]) -> str:
    return manage("create_api_key", "tests", env=env).splitlines()[-1]


@contextmanager
def gunicorn(env: dict[str, str], log: Path | None = None) -> Iterator[int]:
    """gunicorn with gunicorn.conf.py on a free port; yields the port once it answers."""
    port = free_port()
    env = {**env, "BIND": f"127.0.0.1:{port}"}
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "intarget_export.wsgi:application"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(20)
        if log:
            out.close()  # type: ignore[union-attr]


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, **extra}
    env.pop("TEST_DATABASE_NAME", None)
    return env


def get(port: int, path: str, key: str, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()
