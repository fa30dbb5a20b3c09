"""Every operator command whose reader goes away (``pull_log | head -1``) ends quietly
with exit status 0: no BrokenPipeError traceback, nothing on stderr, and a pipeline run
under ``set -o pipefail`` succeeds as its reader did (issue 19; lib/pipes.py). On SQLite
and on PostgreSQL, since the query being read when the pipe closes is each engine's own
(a server-side cursor, a COPY)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.servers import ROOT, manage, service_env, shared_database_env

WINDOW = ["--from", "2020-10-10", "--to", "2020-10-11"]
# Enough lines that the command is still writing when ``head -1`` has gone: many times
# a pipe's buffer (64 KiB), whatever ``head`` reads before it stops.
LINES = 5_000
SEED_PULLS = f"""
import datetime as dt
from operations.models import Pull
start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
minute = dt.timedelta(minutes=1)
Pull.objects.bulk_create(
    Pull(started_at=start + 2 * n * minute, key_name="InTarget", feed="users", window_from=start + 2 * n * minute,
         window_to=start + (2 * n + 1) * minute, format="csv", status=200, complete=True, client="203.0.113.7")
    for n in range({LINES})
)
"""
KEY_COUNT = "from access.models import ApiKey; print(ApiKey.objects.count(), ApiKey.objects.active().count())"


@pytest.fixture
def env(tmp_path, transactional_db):
    """The commands' database, which the test reads too (on PostgreSQL, the test's own:
    committed, hence transactional_db)."""
    return shared_database_env(tmp_path / "data")


@pytest.fixture
def transactions_csv(tmp_path):
    """LINES transactions stamped inside WINDOW (kept with --preserve-timestamps)."""
    path = tmp_path / "transactions.csv"
    rows = "".join(
        f"t{n},p{n % 50},10.5,EUR,IN,2020-10-10 07:00:00,2020-10-10 {n // 3600 % 24:02}:{n // 60 % 60:02}:{n % 60:02}\n"
        for n in range(LINES)
    )
    path.write_text("id,player_id,amount,currency,dir,created_at,updated_at\n" + rows)
    return path


def into_a_closed_pipe(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``manage.py <args>`` writing to a pipe whose reader is gone before it starts: its
    first write fails, however short the output (no race with a reader)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=write, stderr=subprocess.PIPE, text=True
        )
    finally:
        os.close(write)


def into_head(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``set -o pipefail; manage.py <args> | head -1`` in bash: the pipeline's status is
    the command's unless it is 0."""
    script = 'set -o pipefail; "$0" manage.py "$@" | head -1'
    return subprocess.run(["bash", "-c", script, sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)


def assert_quiet_success(done: subprocess.CompletedProcess) -> None:
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize(
    "command",
    [
        ["export_feed", "transactions", *WINDOW],
        ["export_feed", "transactions", *WINDOW, "--format", "json"],
        ["export_feed", "tournaments"],
        ["pull_log"],
        ["pull_log", "--format", "json"],
        ["sync_gaps"],
        ["sync_gaps", "--format", "json"],
        ["describe_feeds"],
        ["prune_pull_log"],
        ["demo_key"],
        ["seed_demo", "--players", "1"],
        ["define_custom_field", "vip_level", "integer"],
        ["pull_status"],
        ["send_alerts", "--once"],
    ],
    ids=[
        "export_feed", "export_feed-json", "export_feed-everything", "pull_log", "pull_log-json", "sync_gaps",
        "sync_gaps-json", "describe_feeds", "prune_pull_log", "demo_key", "seed_demo", "define_custom_field",
        "pull_status", "send_alerts",
    ],
)
def test_a_listing_whose_reader_went_away_ends_quietly_with_status_0(env, command):
    assert_quiet_success(into_a_closed_pipe(env, *command))


def test_an_import_whose_reader_went_away_ends_quietly_and_keeps_its_rows(env, transactions_csv):
    assert_quiet_success(into_a_closed_pipe(env, "import_feed", "transactions", str(transactions_csv)))
    count = "from payments.models import Transaction; print(Transaction.objects.count())"
    assert manage(env, "shell", "-v0", "-c", count).split() == [str(LINES)]


def test_revoke_and_erase_whose_reader_went_away_end_quietly_and_their_work_is_done(env, tmp_path):
    manage(env, "create_api_key", "InTarget")
    assert_quiet_success(into_a_closed_pipe(env, "revoke_api_key", "InTarget"))
    assert manage(env, "shell", "-v0", "-c", KEY_COUNT).split() == ["1", "0"]
    users = tmp_path / "users.csv"
    users.write_text("id,first_name,registered_at,modified_at\np1,Anna,2020-01-01 00:00:00,2020-01-01 00:00:00\n")
    manage(env, "import_feed", "users", str(users))
    assert_quiet_success(into_a_closed_pipe(env, "erase_player", "p1"))
    name = "from players.models import Player; print(repr(Player.objects.get(id='p1').first_name))"
    assert manage(env, "shell", "-v0", "-c", name).strip() == "None"


def test_a_key_whose_secret_never_reached_a_reader_is_not_kept(env):
    """create_api_key writes the secret inside its transaction: printed nowhere, no key."""
    assert_quiet_success(into_a_closed_pipe(env, "create_api_key", "InTarget"))
    assert manage(env, "shell", "-v0", "-c", KEY_COUNT).split() == ["0", "0"]


@pytest.mark.parametrize("format", ["csv", "json"])
def test_pull_log_into_head_ends_quietly_with_status_0(env, format):
    manage(env, "shell", "-v0", "-c", SEED_PULLS)
    done = into_head(env, "pull_log", "--format", format)
    assert_quiet_success(done)
    assert done.stdout == ("started_at,key,feed,from,to,format,status,rows,bytes,duration_ms,client,complete\n"
                           if format == "csv" else "[\n")


def test_sync_gaps_into_head_ends_quietly_with_status_0(env):
    manage(env, "shell", "-v0", "-c", SEED_PULLS)
    done = into_head(env, "sync_gaps")
    assert_quiet_success(done)
    assert done.stdout == "key,feed,from,to\n"


@pytest.mark.parametrize("format", ["csv", "json"])
def test_export_feed_into_head_ends_quietly_before_its_summary_with_status_0(env, transactions_csv, format):
    manage(env, "import_feed", "transactions", str(transactions_csv), "--preserve-timestamps")
    done = into_head(env, "export_feed", "transactions", *WINDOW, "--format", format)
    # Its summary line ("… rows exported …") goes to stderr once every row is written:
    # none, so the export did stop when its reader went away.
    assert_quiet_success(done)
    assert done.stdout.startswith("id,player_id,amount," if format == "csv" else '[{"id":"t0",')


def test_inside_call_command_a_closed_stream_stays_an_error():
    """Only from the command line: a long-lived process calling a command into a closed
    socket must hear of it."""
    from django.core.management import call_command

    class Closed:
        def write(self, text: str) -> int:
            raise BrokenPipeError

        def flush(self) -> None:
            raise BrokenPipeError

    with pytest.raises(BrokenPipeError):
        call_command("describe_feeds", stdout=Closed())


def test_every_command_of_the_service_is_pipeable():
    """A new command (expect_pulls, delete_rows, …) gets the same ending from its base."""
    from importlib import import_module
    from pathlib import Path

    from django.core.management import get_commands, load_command_class

    from lib.pipes import PipeableCommand

    def is_ours(app: str) -> bool:
        # In the repository, and not in a virtualenv made inside it (.venv: Django's and
        # the libraries' own commands).
        path = Path(import_module(app).__file__).resolve()
        return path.is_relative_to(ROOT) and not path.is_relative_to(Path(sys.prefix).resolve())

    ours = {name: app for name, app in get_commands().items() if app != "django.core" and is_ours(app)}
    assert {"pull_log", "export_feed", "import_feed", "create_api_key", "define_custom_field"} <= set(ours)
    assert [name for name, app in ours.items() if not isinstance(load_command_class(app, name), PipeableCommand)] == []


RAISES_BROKEN_PIPE = """
import django
django.setup()
from lib.pipes import PipeableCommand

class Command(PipeableCommand):
    def handle(self, *args, **options):
        self.stdout.write("before")
        raise BrokenPipeError(32, "Broken pipe")  # as a socket to a webhook would

Command().run_from_argv(["manage.py", "webhook"])
"""


def test_a_broken_pipe_that_is_not_stdout_is_a_failure(tmp_path):
    """Only stdout's reader going away ends a command quietly: a delivery that failed on
    a closed socket must not read as success."""
    env = {**service_env(tmp_path), "DJANGO_SETTINGS_MODULE": "intarget_export.settings"}
    done = subprocess.run([sys.executable, "-c", RAISES_BROKEN_PIPE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "BrokenPipeError" in done.stderr
