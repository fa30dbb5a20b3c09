"""A real gunicorn (the shipped gunicorn.conf.py) on a private port and data folder, for
tests that must see what a client and the log see, not what the test client sees."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time

import psycopg
from dataclasses import dataclass
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
# Environment of ours that must not leak from the test run into a server it starts.
SERVICE_VARIABLES = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "HTTPS", "DATA_DIR", "DATABASE_URL", "BIND")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_environment(**env: str) -> dict[str, str]:
    base = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    return {**base, **env}


def manage(*args: str, env: dict[str, str]) -> str:
    """Run manage.py; its standard output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_gunicorn(env: dict[str, str], log: Path, port: int | None = None) -> Server:
    """gunicorn -c gunicorn.conf.py on 127.0.0.1:<port>; access and error log into ``log``."""
    port = port or free_port()
    env = {**env, "BIND": f"127.0.0.1:{port}"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "intarget_export.wsgi:application"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise AssertionError(f"gunicorn did not start: {log.read_text()}")
    return Server(port, process, log)


class PrivatePostgres:
    """A database of its own on the test run's PostgreSQL server, for a service process:
    created empty, dropped (connections and all) by ``drop``."""

    def __init__(self, suffix: str):
        from django.db import connection

        params = connection.get_connection_params()
        self.name = f"{os.getenv('TEST_DATABASE_NAME') or 'test_intarget'}_{suffix}"
        self._admin = psycopg.connect(
            host=params.get("host"), port=params.get("port"), user=params.get("user"),
            password=params.get("password"), dbname="postgres", autocommit=True,
        )
        self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.execute(f'CREATE DATABASE "{self.name}"')
        password = f":{params['password']}" if params.get("password") else ""
        self.url = f"postgresql://{params.get('user')}{password}@{params.get('host')}:{params.get('port') or 5432}/{self.name}"

    def drop(self) -> None:
        self._admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.close()
