"""Real service processes for tests: gunicorn with the shipped gunicorn.conf.py, and
manage.py commands, each in an environment of its own.

    env = service_env(tmp_path)              # its own SQLite file under tmp_path (not migrated)
    env = service_env(tmp_path, url)         # a database of the test's choosing
    env = shared_database_env(tmp_path)      # the database the test itself reads and writes
    migrate(env)                             # manage.py migrate (SQLite: a copy of one run)
    key = new_key(env)
    with Gunicorn(env, tmp_path / "gunicorn.log", API_MAX_STREAMS="2") as server:
        status, headers, body = server.get("/api/users?…", key)
        answer_as_a_browser(server.port, key)  # 16 requests at once, every one answered
        server.signal(signal.SIGINT, group=True)  # Ctrl-C; then server.wait_stopped(60)

The test run's own settings (DATABASE_URL, TEST_DATABASE_NAME, DEBUG, …) never leak into
a service process: each test says what its server runs on.
"""

from __future__ import annotations

import atexit
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.db import connection

from tests.support.waiting import LIMIT, wait_until

ROOT = Path(__file__).resolve().parents[2]
# The test run's environment that must not reach a service process: its database, and
# settings a developer may have exported for a demo.
SERVICE_VARIABLES = (
    "DATABASE_URL", "DATABASE_REPLICA_URL", "TEST_DATABASE_NAME", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "HTTPS",
    "SECURE_SSL_REDIRECT", "DATA_DIR", "BIND",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None) -> None:
    """Until something accepts connections on ``port``; fails early if ``process`` exits."""

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    wait_until(listening, f"nothing listens on {port}", alive=lambda: process is None or process.poll() is None)


def clean_environ() -> dict[str, str]:
    """The test run's environment without SERVICE_VARIABLES: the service's defaults."""
    return {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}


def service_env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a service process: DATA_DIR is ``data_dir``; the database is
    ``database_url``, or else the service's default, a SQLite file in ``data_dir`` (which
    the caller migrates)."""
    env = clean_environ()
    env["DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return {**env, **extra}


def database_url_of_tests() -> str:
    """DATABASE_URL of the PostgreSQL database this test run uses (pytest-django's)."""
    settings = connection.settings_dict
    user = urllib.parse.quote(settings["USER"] or "")
    password = urllib.parse.quote(settings["PASSWORD"] or "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgresql://{auth}{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def shared_database_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A service environment on a database the test can also reach: on PostgreSQL the test
    database itself (tests using it commit: ``django_db(transaction=True)``); on SQLite,
    whose test database lives in memory, a new migrated file in ``data_dir``."""
    if connection.vendor == "postgresql":
        return service_env(data_dir, database_url_of_tests(), **extra)
    env = service_env(data_dir, **extra)
    migrate(env)
    return env


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``python manage.py <args>`` in ``env``, whatever its exit status."""
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def manage(env: dict[str, str], *args: str) -> str:
    """``python manage.py <args>`` in ``env``, which must succeed; its standard output."""
    done = run_manage(env, *args)
    assert done.returncode == 0, f"manage.py {' '.join(args)} exited with {done.returncode}:\n{done.stderr}"
    return done.stdout


_migrated_sqlite: list[Path] = []


def migrate(env: dict[str, str]) -> None:
    """``manage.py migrate`` for ``env``'s database. On the default SQLite file under
    DATA_DIR, a copy of one real migrate of this test run (into a folder of its own),
    since migrating anew takes a second or two per test and always makes the same file."""
    target = Path(env["DATA_DIR"]) / "db.sqlite3"
    if env.get("DATABASE_URL") or target.exists():  # never copied over a database in use
        manage(env, "migrate", "-v0")
        return
    if not _migrated_sqlite:
        template = Path(tempfile.mkdtemp(prefix="migrated-sqlite-"))
        atexit.register(shutil.rmtree, template, True)
        manage({**env, "DATA_DIR": str(template)}, "migrate", "-v0")
        # The migrating process checkpointed its WAL on exit: the file alone is the database.
        assert not (template / "db.sqlite3-wal").exists()
        _migrated_sqlite.append(template / "db.sqlite3")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated_sqlite[0], target)


def new_key(env: dict[str, str], name: str = "tests", *options: str) -> str:
    """A new API key (``create_api_key`` prints it as its last line)."""
    return manage(env, "create_api_key", name, *options).splitlines()[-1]


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py`` on a free port of 127.0.0.1, in ``env`` with
    ``overrides``; ready once it accepts connections. Its output (access log included)
    goes to ``log``, or nowhere. A context manager, or call ``stop()``."""

    def __init__(self, env: dict[str, str], log: Path | None = None, *, cwd: Path = ROOT, **overrides: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._output = log.open("wb") if log else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "intarget_export.wsgi:application"],
            cwd=cwd,  # another source tree's service (bench/transport.py --against)
            env={**env, **overrides, "BIND": f"127.0.0.1:{self.port}"},
            stdout=self._output or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: master and workers stop together
        )
        try:
            wait_for_port(self.port, self.process)
        except RuntimeError as error:
            self.stop()
            raise RuntimeError(f"{error}\n{self.log_text()}") from None

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log else ""

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None,
        timeout: float = LIMIT,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request on a connection of its own: status, headers (names in any case), body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.msg, response.read()
        finally:
            conn.close()

    def get(self, path: str, key: str, timeout: float = LIMIT) -> tuple[int, http.client.HTTPMessage, bytes]:
        return self.request("GET", path, {"Authorization": f"Bearer {key}"}, timeout=timeout)

    def signal(self, signum: int, *, group: bool) -> None:
        """``signum`` to the master alone (``kill PID``, docker stop) or to its whole process
        group, master and workers at once (a terminal's Ctrl-C, systemd's KillMode=control-group)."""
        if group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)

    def wait_stopped(self, timeout: float) -> None:
        """``wait_stopped`` of the master: until it and every worker are gone."""
        wait_stopped(self.process, timeout)

    def stop(self) -> None:
        """Kill master and workers at once. Not a graceful stop: it would wait for answers
        still in progress, whose transactions would then hold up the test database's
        cleanup. After a stop by signal (``wait_stopped``), kills what may be left."""
        if self.process.returncode is None or process_group_members(self.process.pid):
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # workers too, even if the master is gone
            except ProcessLookupError:
                pass
            self.process.wait(15)
        if self._output:
            self._output.close()


def wait_stopped(leader: subprocess.Popen, timeout: float) -> None:
    """Until ``leader``, started in a process group of its own (gunicorn's master), has
    exited and no process of its group is left (its workers, whether it waited for them or
    not); TimeoutError after ``timeout`` seconds, with every process still there left
    running (for the caller to kill)."""
    deadline = time.monotonic() + timeout
    try:
        leader.wait(timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"process {leader.pid} still runs {timeout} s after it was told to stop") from None
    while left := process_group_members(leader.pid):
        if time.monotonic() > deadline:
            raise TimeoutError(f"processes {left} of {leader.pid}'s group still run {timeout} s after it was told to stop")
        time.sleep(0.05)


def process_group_members(pgid: int) -> list[int]:
    """The live processes (not zombies) of process group ``pgid``, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
            state, _ppid, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
        except (OSError, ValueError):
            continue  # gone while listed
        if int(pgrp) == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


ADMIN_LOGIN = "/admin/login/"

# What a browser opening the service makes at once, and a client pulling feeds: every feed
# that answers a pull (game-actions is only pushed) on a past, final window with a key,
# the OpenAPI page, the admin's login page.
BROWSING_WINDOW = "from=2020-10-10+00:00:00&to=2020-10-10+01:00:00"
BROWSING_FEEDS = (
    "users", "contacts", "logins", "transactions", "wallets", "games", "tournaments",
    "sport-events", "bets", "bet-selections",
)


def answer_as_a_browser(port: int, key: str, count: int = 16) -> list[http.client.HTTPConnection]:
    """``count`` requests at once, each on a connection of its own; returns once every one
    is answered 200 in full, with the connections still open, idle and kept alive as a
    browser keeps them (the caller closes them). The server's API_MAX_STREAMS must let
    ``key`` have ``count`` answers in progress."""
    paths = [f"/api/{feed}?{BROWSING_WINDOW}" for feed in BROWSING_FEEDS] + ["/api/docs", ADMIN_LOGIN]
    paths = [paths[n % len(paths)] for n in range(count)]

    def get(path: str) -> tuple[http.client.HTTPConnection, str, int]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=LIMIT)
        conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
        response = conn.getresponse()
        response.read()
        return conn, path, response.status

    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(get, paths))
    assert all(status == 200 for _, _, status in answers), [(path, status) for _, path, status in answers]
    return [conn for conn, _, _ in answers]


def admin_login_page(server: Gunicorn) -> tuple[int, dict[str, str], str]:
    """The admin login page, fetched as a browser does: its status, the headers that post
    the form back (its CSRF cookie), and the form's CSRF token."""
    status, headers, body = server.request("GET", ADMIN_LOGIN)
    cookie = re.search(r"csrftoken=([^;]+)", headers["set-cookie"]).group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    return status, {"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded"}, token


def post_admin_login(
    server: Gunicorn, form_headers: dict[str, str], token: str, username: str, password: str
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Post the login form of ``admin_login_page``."""
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
    return server.request("POST", ADMIN_LOGIN, form_headers, form.encode())
