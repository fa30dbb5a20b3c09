"""Real servers for tests: the service under gunicorn (shipped gunicorn.conf.py), ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


def service_env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a service process: its own SQLite file under ``data_dir``, or
    ``database_url``; never the test run's own DATABASE_URL."""
    env = {**os.environ, "DATA_DIR": str(data_dir), **extra}
    env.pop("DATABASE_URL", None)
    env.pop("TEST_DATABASE_NAME", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """``python manage.py <args>`` in the service's environment; its output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def new_key(env: dict[str, str], name: str = "tests") -> str:
    return manage(env, "create_api_key", name).splitlines()[-1]


class Gunicorn:
    """gunicorn -c gunicorn.conf.py on ``port``; its output (access log included) in ``log``."""

    def __init__(self, env: dict[str, str], port: int, log: Path, cwd: Path = ROOT):
        self.port = port
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "intarget_export.wsgi:application"],
            cwd=cwd, env={**env, "BIND": f"127.0.0.1:{port}"}, stdout=self._log_file, stderr=subprocess.STDOUT,
        )
        wait_for_port(port, self.process)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def stop(self) -> None:
        if self.process.poll() is None:
            workers = self.worker_pids()
            self.process.send_signal(signal.SIGINT)  # quick shutdown: open streams end now
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                # A worker still booting ignores the arbiter's signal; no test waits for it.
                for pid in workers:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.process.kill()
                self.process.wait(5)
        self._log_file.close()
