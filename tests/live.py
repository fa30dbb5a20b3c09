"""Real service processes for tests: gunicorn with the shipped gunicorn.conf.py, and
manage.py commands, on a database the test process can also reach.

On PostgreSQL that is the test database itself (tests using it commit:
``django_db(transaction=True)``); on SQLite, whose test database lives in memory, a
migrated file in a temporary folder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_env(tmp_path: Path) -> dict[str, str]:
    """The environment that points a service process at a database shared with the test:
    the PostgreSQL test database, or a new migrated SQLite file under ``tmp_path``."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["DATA_DIR"] = str(tmp_path)
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        env["DATABASE_URL"] = f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    else:
        manage(env, "migrate", "-v0")
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def new_key(env: dict[str, str], name: str, *options: str) -> str:
    return manage(env, "create_api_key", name, *options).stdout.splitlines()[-1]


@contextmanager
def gunicorn(env: dict[str, str], **overrides: str) -> Iterator[str]:
    """A gunicorn master with the shipped configuration; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "intarget_export.wsgi:application"],
        cwd=ROOT,
        env={**env, "BIND": f"127.0.0.1:{port}", **overrides},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: master and workers stop together
    )
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        # Not a graceful stop: it would wait for answers still in progress, whose
        # transactions would then hold up the test database's cleanup.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(15)
