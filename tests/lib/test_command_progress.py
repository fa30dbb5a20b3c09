"""import_feed, export_feed and seed_demo draw a progress bar (rows done, rows per second) on
stderr when stderr is a terminal, stay quiet when it is piped or with ``--verbosity 0``,
and end with a one-line summary (rows, seconds, rows/s); export_feed writes that summary
to stderr when its data goes to stdout, so stdout holds the data alone.

Each command runs as a real ``manage.py`` process; the terminal is a real pseudo-terminal.
"""

import datetime as dt
import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest

from tests.support.servers import ROOT, manage, migrate, service_env

# No database engine changes what this checks: it runs once, in the SQLite pass.
pytestmark = pytest.mark.engine_independent

ROWS = 20_000
# A tqdm bar with some rows done and a measured rate: "transactions: 3000 rows [00:01, 2712.40 rows/s]".
BAR = r"{what}: [1-9][0-9]* rows \[[0-9:]+, [0-9.]+ rows/s\]"
SUMMARY = r"[0-9]+ rows {done}in [0-9.]+ s \([0-9]+ rows/s\)"


def run_on_terminal(env: dict[str, str], *args: str) -> tuple[int, bytes, str]:
    """``manage.py <args>`` with stderr on a pseudo-terminal of 100 columns and stdout on a
    pipe: its exit status, its stdout, and what the terminal showed."""
    # A bar is redrawn every 0.1 s: a quick command would finish before its first redraw.
    # With no interval (tqdm's documented TQDM_* defaults), every update is drawn.
    env = {**env, "TQDM_MININTERVAL": "0"}
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=slave
    )
    os.close(slave)
    # stdout is read beside the terminal: a full pipe would block the process.
    stdout: list[bytes] = []
    reader = threading.Thread(target=lambda: stdout.append(process.stdout.read()))
    reader.start()
    shown = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the process has closed the terminal's last descriptor
            break
        if not data:
            break
        shown += data
    os.close(master)
    reader.join()
    return process.wait(), stdout[0], shown.decode()


def run_piped(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """A migrated SQLite service and a CSV of ROWS transactions."""
    data = tmp_path_factory.mktemp("progress")
    env = service_env(data)
    migrate(env)
    source = data / "transactions.csv"
    rows = "".join(f"t{n},p{n % 97},{n}.25,EUR,IN,2020-10-10 07:00:00\n" for n in range(ROWS))
    source.write_text("id,player_id,amount,currency,dir,created_at\n" + rows)
    return env, source


@pytest.fixture(scope="module")
def imported(service):
    """The transactions imported once, and a window holding them all."""
    env, source = service
    manage(env, "import_feed", "transactions", str(source), "-v0")
    time.sleep(1.1)  # stamped at load time: a window ending a second after the load
    end = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return env, ["--from", "2020-01-01 00:00:00", "--to", end]


# --- import_feed ----------------------------------------------------------------------


def test_import_on_a_terminal_shows_rows_and_rate_then_the_summary(service):
    env, source = service
    status, stdout, shown = run_on_terminal(env, "import_feed", "transactions", str(source))
    assert status == 0, shown
    assert re.search(BAR.format(what="transactions"), shown), shown
    assert "\r" in shown  # redrawn in place
    assert re.fullmatch(rf"transactions: {ROWS} rows imported from \S+ in [0-9.]+ s \([0-9]+ rows/s\)\n", stdout.decode())


def test_import_piped_shows_no_bar_and_prints_the_summary(service):
    env, source = service
    done = run_piped(env, "import_feed", "transactions", str(source))
    assert done.returncode == 0
    assert done.stderr == b""
    assert re.fullmatch(rf"transactions: {SUMMARY.format(done='imported from ' + re.escape(str(source)) + ' ')}\n",
                        done.stdout.decode()), done.stdout


def test_import_with_verbosity_0_is_silent_even_on_a_terminal(service):
    env, source = service
    status, stdout, shown = run_on_terminal(env, "import_feed", "transactions", str(source), "--verbosity", "0")
    assert (status, stdout, shown) == (0, b"", "")


# --- export_feed ----------------------------------------------------------------------


def test_export_to_stdout_on_a_terminal_keeps_stdout_pure_data(imported):
    env, window = imported
    status, stdout, shown = run_on_terminal(env, "export_feed", "transactions", *window)
    assert status == 0, shown
    lines = stdout.splitlines()
    assert lines[0].startswith(b"id,player_id,amount,") and len(lines) == ROWS + 1
    assert re.search(BAR.format(what="transactions"), shown), shown
    # The summary is the terminal's last line, after the bar was cleared.
    assert re.search(rf"transactions: {ROWS} rows exported in [0-9.]+ s \([0-9]+ rows/s\)\r?\n$", shown), shown


def test_export_piped_writes_the_data_to_stdout_and_the_summary_alone_to_stderr(imported, tmp_path):
    env, window = imported
    done = run_piped(env, "export_feed", "transactions", *window)
    assert done.returncode == 0
    assert re.fullmatch(rf"transactions: {ROWS} rows exported in [0-9.]+ s \([0-9]+ rows/s\)\n", done.stderr.decode())
    # stdout is exactly the bytes --output writes.
    target = tmp_path / "t.csv"
    written = run_piped(env, "export_feed", "transactions", *window, "--output", str(target))
    assert done.stdout == target.read_bytes()
    assert written.stderr == b""
    assert re.fullmatch(rf"transactions: {ROWS} rows exported to {re.escape(str(target))} in [0-9.]+ s \([0-9]+ rows/s\)\n",
                        written.stdout.decode())


def test_export_with_verbosity_0_writes_the_data_alone(imported):
    env, window = imported
    status, stdout, shown = run_on_terminal(env, "export_feed", "transactions", *window, "-v", "0")
    assert status == 0 and shown == ""
    assert len(stdout.splitlines()) == ROWS + 1


# --- seed_demo ------------------------------------------------------------------------


def test_seed_demo_on_a_terminal_shows_rows_and_rate_then_the_summary(service):
    env, _ = service
    status, stdout, shown = run_on_terminal(env, "seed_demo", "--players", "200")
    assert status == 0, shown
    assert re.search(BAR.format(what="seed_demo"), shown), shown
    assert re.search(rf"; {SUMMARY.format(done='made ')}\n$", stdout.decode()), stdout


def test_seed_demo_piped_or_quiet_shows_no_bar(service):
    env, _ = service
    piped = run_piped(env, "seed_demo", "--players", "3")
    assert piped.returncode == 0 and piped.stderr == b""
    assert piped.stdout.decode().count("\n") == 1
    status, stdout, shown = run_on_terminal(env, "seed_demo", "--players", "3", "-v0")
    assert (status, stdout, shown) == (0, b"", "")
