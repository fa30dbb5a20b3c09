"""The server stops when asked (issue 19), gunicorn with the shipped gunicorn.conf.py
(lib/gunicorn_worker.py): after a browser's 16 requests, Ctrl-C (SIGINT to the whole
process group), SIGTERM to the master alone (``kill``, ``docker stop``) and SIGTERM to the
whole group (systemd's KillMode=control-group) each end the master and every worker long
before graceful_timeout, three times in a row. A long stream in flight finishes after
SIGTERM, is cut at once by Ctrl-C, and is cut by the master at graceful_timeout if it is
still running then: cut visibly each time (no terminating chunk), never ended as if
complete; and the server exits. And the cause of the hang, deterministic: a quit signal
arriving while the worker's pool is shutting down is only recorded."""

import http.client
import json
import signal
import socket
import sqlite3
import threading
import time

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from lib.gunicorn_worker import StoppableThreadWorker
from tests.support.servers import Gunicorn, answer_as_a_browser, manage, migrate, new_key, service_env

# 12 gunicorn starts of 2 workers each: about 80 s here.
slow = pytest.mark.slow

# A worker that hangs is SIGKILLed by its master only after graceful_timeout: at 300 s (the
# shipped default) a hang cannot pass the deadline, which only a hang can miss.
GRACEFUL_TIMEOUT = "300"
DEADLINE = 60
BROWSER = 16  # requests at once, as a browser (and a client pulling feeds) makes; one key

ROWS = 200_000  # a CSV body of about 16 MB: more than the sockets' buffers hold
STREAM = "/api/transactions?from=2020-10-12+00:00:00&to=2020-10-13+00:00:00"

SIGNALS = [
    pytest.param(signal.SIGINT, True, id="ctrl-c"),
    pytest.param(signal.SIGTERM, False, id="sigterm-to-master"),
    pytest.param(signal.SIGTERM, True, id="sigterm-to-group"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A migrated SQLite file with a key and ROWS transactions stamped on 2020-10-12."""
    data = tmp_path_factory.mktemp("stopping")
    env = service_env(data)
    migrate(env)
    key = new_key(env)
    with sqlite3.connect(data / "db.sqlite3") as db:
        db.executemany(
            "INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at) "
            "VALUES (?, 'p1', '12.5', 'EUR', 'IN', '2020-10-12 00:00:00', ?)",
            ((f"t{n:07d}", f"2020-10-12 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}") for n in range(ROWS)),
        )
    return env, key


@slow
@pytest.mark.parametrize(("signum", "group"), SIGNALS)
def test_the_server_stops_at_once_after_answering_a_browser_three_times_in_a_row(served, tmp_path, signum, group):
    env, key = served
    for attempt in range(3):
        log = tmp_path / f"gunicorn-{attempt}.log"
        with Gunicorn(env, log, GUNICORN_GRACEFUL_TIMEOUT=GRACEFUL_TIMEOUT, API_MAX_STREAMS=str(BROWSER)) as server:
            idle = answer_as_a_browser(server.port, key, BROWSER)  # answered, connections kept alive
            server.signal(signum, group=group)
            server.wait_stopped(DEADLINE)
            for connection in idle:
                connection.close()
        assert server.process.returncode == 0, log.read_text()
        assert "SIGKILL" not in log.read_text()


class Stream:
    """A long feed answer whose client has read its first 64 KiB and then waits: the
    worker's thread is held writing, whatever the machine's speed."""

    def __init__(self, server: Gunicorn, key: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEADLINE)
        self.connection.request("GET", STREAM, headers={"Authorization": f"Bearer {key}"})
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Transfer-Encoding") == "chunked"
        self.start = self.response.read(65536)

    def read_to_the_end(self) -> bytes:
        """The rest of the body; IncompleteRead (or a connection error) if it was cut."""
        try:
            return self.start + self.response.read()
        finally:
            self.connection.close()


def pulls_of(env: dict[str, str], key_name: str) -> list[tuple[int, int, bool]]:
    """The pull log of key ``key_name``: status, rows and whether the body was sent whole."""
    pulls = json.loads(manage(env, "pull_log", "--key", key_name, "--format", "json"))
    return [(pull["status"], pull["rows"], pull["complete"]) for pull in pulls]


def wait_until_refused(port: int) -> None:
    """Until nothing accepts connections on ``port``: every worker has left its loop
    (the listening socket is closed once no process holds it), so stopping has begun."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} still accepts connections after {DEADLINE} s")


@slow
def test_a_stream_in_flight_at_sigterm_is_served_to_the_end_then_the_server_exits(served, tmp_path):
    env, _ = served
    key = new_key(env, "sigterm")
    log = tmp_path / "gunicorn.log"
    with Gunicorn(env, log, GUNICORN_GRACEFUL_TIMEOUT=GRACEFUL_TIMEOUT) as server:
        stream = Stream(server, key)
        server.signal(signal.SIGTERM, group=True)
        wait_until_refused(server.port)
        lines = stream.read_to_the_end().split(b"\n")
        server.wait_stopped(DEADLINE)
    assert lines[-1] == b""  # complete records, and http.client saw the terminating chunk
    assert {line.split(b",")[0] for line in lines[1:-1]} == {f"t{n:07d}".encode() for n in range(ROWS)}
    assert server.process.returncode == 0, log.read_text()
    assert pulls_of(env, "sigterm") == [(200, ROWS, True)]


@slow
def test_ctrl_c_cuts_a_stream_in_flight_visibly_and_the_server_exits_at_once(served, tmp_path):
    env, _ = served
    key = new_key(env, "ctrl-c")
    log = tmp_path / "gunicorn.log"
    with Gunicorn(env, log, GUNICORN_GRACEFUL_TIMEOUT=GRACEFUL_TIMEOUT) as server:
        stream = Stream(server, key)
        server.signal(signal.SIGINT, group=True)
        server.wait_stopped(DEADLINE)  # the stream waits on its client: only a cut lets it end
        with pytest.raises((http.client.IncompleteRead, ConnectionError)):
            stream.read_to_the_end()
    assert server.process.returncode == 0, log.read_text()
    # Ended by its own thread (not killed): recorded, as cut short.
    [(status, rows, complete)] = pulls_of(env, "ctrl-c")
    assert (status, complete) == (200, False)
    assert rows < ROWS


@slow
def test_a_stream_still_running_at_graceful_timeout_is_cut_visibly_and_the_server_exits(served, tmp_path):
    env, key = served
    log = tmp_path / "gunicorn.log"
    with Gunicorn(env, log, GUNICORN_GRACEFUL_TIMEOUT="2") as server:
        stream = Stream(server, key)
        server.signal(signal.SIGTERM, group=False)
        server.wait_stopped(DEADLINE)  # the master SIGKILLs the worker once graceful_timeout passed
        with pytest.raises((http.client.IncompleteRead, ConnectionError)):
            stream.read_to_the_end()
    assert server.process.returncode == 0, log.read_text()


@pytest.mark.engine_independent
def test_a_quit_signal_during_the_pools_shutdown_is_recorded_never_deadlocked():
    """What hung gunicorn's own gthread worker: Ctrl-C's SIGINT starts the stop, and the
    master's SIGQUIT lands while ThreadPoolExecutor.shutdown holds its lock; the handler,
    run again on top, waited for that lock in the same thread forever. Here the second
    handler runs (in a thread of the test, to fail rather than hang) with the lock held."""
    cfg = Config()
    worker = StoppableThreadWorker(1, 0, [], None, 30, cfg, Logger(cfg))
    worker.tpool = worker.get_thread_pool()
    raised = []

    def second_signal() -> None:
        with worker.tpool._shutdown_lock:  # as the first handler's pool shutdown holds it
            try:
                worker.handle_quit(signal.SIGQUIT, None)
                worker.handle_exit(signal.SIGTERM, None)
            except BaseException as error:  # SystemExit too: a handler must not raise where it lands
                raised.append(error)

    handler = threading.Thread(target=second_signal, daemon=True)
    handler.start()
    handler.join(DEADLINE)
    assert not handler.is_alive(), "the quit handler deadlocked on the pool's shutdown lock"
    assert raised == []
    assert (worker.alive, worker.quick) == (False, True)  # recorded, for the main loop to act on
    worker.tpool.shutdown()
