"""``export_feed … | head``, ``pull_log | head``, ``sync_gaps | head`` (issue 18 item 9,
issue 19): when the reader of the output goes away, the command ends quietly, killed by
SIGPIPE as ``cat`` would be, with nothing on stderr (no BrokenPipeError traceback)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.support.servers import ROOT, migrate, service_env

pytestmark = pytest.mark.engine_independent

WINDOW = ["--from", "2020-10-10 07:00:00", "--to", "2020-10-10 08:00:00"]


def run_into_a_closed_pipe(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``manage.py <args>`` writing to a pipe whose reader is gone before it starts: its
    first write fails, whatever the output's size (no race with the reader)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=write, stderr=subprocess.PIPE, text=True
        )
    finally:
        os.close(write)


@pytest.mark.parametrize(
    "command",
    [
        ["export_feed", "transactions", *WINDOW],
        ["export_feed", "transactions", *WINDOW, "--format", "json"],
        ["pull_log"],
        ["pull_log", "--format", "json"],
        ["sync_gaps"],
    ],
    ids=["export_feed", "export_feed-json", "pull_log", "pull_log-json", "sync_gaps"],
)
def test_a_command_whose_reader_went_away_ends_quietly(tmp_path, command):
    env = service_env(tmp_path)
    migrate(env)
    done = run_into_a_closed_pipe(env, *command)
    assert done.stderr == ""
    assert done.returncode == -signal.SIGPIPE
