"""bin/demo, the README's first command, on a fresh data folder: it serves the demo on PORT,
its curl lines answer rows, Ctrl-C stops it (master and workers, at once, after a browser's
16 requests: issue 19), and running it again gives fresh demo data in place of the old (not
a second pile) with the same, single demo key, whose pull log starts afresh (the gap the
README has the reader make is then this run's), other keys' kept."""

import http.client
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.servers import (
    ROOT, answer_as_a_browser, free_port, manage, new_key, service_env, wait_for_port, wait_stopped,
)
from tests.support.waiting import wait_until

# Two full runs of the demo (migrate, collectstatic, seed, gunicorn): about 45 s here.
pytestmark = pytest.mark.slow

# A gunicorn worker that hangs on Ctrl-C is SIGKILLed by its master only after
# graceful_timeout (300 s, bin/demo's): this deadline only a hang misses.
STOP_DEADLINE = 30
BROWSER = 16  # requests at once before the Ctrl-C, as a browser on the demo makes

COUNTS = (
    "from access.models import ApiKey; from players.models import Player; "
    "print(Player.objects.count(), ApiKey.objects.filter(name='demo').count(), "
    "ApiKey.objects.active().filter(name='demo').count())"
)


class Demo:
    """``bin/demo`` running in its own process group, as a terminal's foreground job."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = int(env["PORT"])
        self.log = log
        self.process = subprocess.Popen(
            [str(ROOT / "bin" / "demo")], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, self.process)
        self.text = log.read_text()
        self.key = re.search(r"API key:  (\S+)", self.text).group(1)

    def curl_lines(self) -> list[str]:
        return re.findall(r"^  curl .*$", self.text, re.M)

    def get(self, url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        path = url.removeprefix(f"http://127.0.0.1:{self.port}")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to the foreground process group; gunicorn's exit status once it
        and every worker are gone (killed, and failing, after STOP_DEADLINE)."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            wait_stopped(self.process, STOP_DEADLINE)
        except TimeoutError:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise
        return self.process.returncode


def bearer_line_answers_rows(demo: Demo) -> bool:
    line = next(line for line in demo.curl_lines() if "/api/users?" in line)
    header, url = re.search(r'-H "([^"]+)" "([^"]+)"', line).groups()
    name, value = header.split(": ", 1)
    status, body = demo.get(url, {name: value})
    assert status == 200, body[:300]
    return len(body.splitlines()) > 1  # the header line and at least one row


def pulls_of(env: dict[str, str], key: str) -> int:
    return len(manage(env, "pull_log", "--key", key).splitlines()) - 1


def wait_for_pulls(env: dict[str, str], key: str, count: int) -> None:
    """Until the pull log holds ``count`` pulls of ``key``: a pull is recorded once its
    answer is sent, after the client has read it."""
    wait_until(lambda: pulls_of(env, key) >= count, f"{key}'s pulls never reached the pull log", every=0.2)


@pytest.fixture
def env(tmp_path):
    # A fresh machine's view: no database, no secret key, no demo key yet.
    data = tmp_path / "data"
    return service_env(data, PORT=str(free_port()), API_MAX_STREAMS=str(BROWSER))  # BROWSER answers of the demo key at once


def test_the_demo_serves_on_port_stops_on_ctrl_c_and_reruns_with_fresh_data_and_the_same_key(env, tmp_path):
    first = Demo(env, tmp_path / "first.log")
    idle = []
    try:
        assert f"http://127.0.0.1:{env['PORT']}" in first.text
        assert bearer_line_answers_rows(first)
        other = new_key(env, "other")
        assert first.get("/api/tournaments", {"Authorization": f"Bearer {other}"})[0] == 200
        wait_for_pulls(env, "demo", 1)
        wait_for_pulls(env, "other", 1)
        idle = answer_as_a_browser(first.port, first.key, BROWSER)  # connections left open, as a browser leaves them
    finally:
        status = first.interrupt()
    for connection in idle:
        connection.close()
    assert status == 0, first.log.read_text()[-2000:]
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", first.port, timeout=2).connect()
    players, keys, active = manage(env, "shell", "-v0", "-c", COUNTS).split()
    assert (players, keys, active) == ("50", "1", "1")

    time.sleep(1)  # the second seed is stamped later than the first
    second = Demo(env, tmp_path / "second.log")
    try:
        assert second.key == first.key
        # The demo key's log starts afresh; the other key's is kept.
        assert (pulls_of(env, "demo"), pulls_of(env, "other")) == (0, 1)
        assert bearer_line_answers_rows(second)
        wait_for_pulls(env, "demo", 1)
        assert re.search(r"replaced [0-9]+ rows of an earlier run", second.text), second.text
    finally:
        second.interrupt()
    # One seed's players, not two; one demo key, not another one each run.
    assert manage(env, "shell", "-v0", "-c", COUNTS).split() == ["50", "1", "1"]
    assert (pulls_of(env, "demo"), pulls_of(env, "other")) == (1, 1)
