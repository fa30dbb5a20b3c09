"""Private files whatever the umask (issue 18, item 6): the data folder is made 0700; the
SQLite database, the generated secret key, the demo key and ``export_feed --output`` are
0600; an export never writes through a symbolic link planted beside its output."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from lib.private_files import private_database_file, private_folder, write_private
from tests.support.servers import ROOT, service_env

pytestmark = pytest.mark.engine_independent

WINDOW = ["--from", "2020-10-10 07:00:00", "--to", "2020-10-10 08:00:00"]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def manage_with_umask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``manage.py <args>`` as a service run under ``umask 000`` would (every bit allowed)."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(0),
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def permissive_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def test_a_folder_made_is_0700_and_a_file_written_is_0600_under_umask_000(tmp_path, permissive_umask):
    folder = private_folder(tmp_path / "a" / "data")
    write_private(folder / "secret", "s\n")
    (folder / "db.sqlite3").touch(0o666)
    private_database_file(folder / "db.sqlite3")
    assert mode(folder) == 0o700
    assert mode(folder / "secret") == 0o600
    assert mode(folder / "db.sqlite3") == 0o600


def test_a_folder_the_operator_made_keeps_its_mode(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir(mode=0o750)
    os.chmod(folder, 0o750)
    private_folder(folder)
    assert mode(folder) == 0o750


def test_writing_replaces_a_planted_symbolic_link_instead_of_writing_through_it(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    (tmp_path / "secret").symlink_to(victim)
    write_private(tmp_path / "secret", "s\n")
    assert victim.read_text() == "untouched\n"
    assert not (tmp_path / "secret").is_symlink()
    assert (tmp_path / "secret").read_text() == "s\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_fresh_data_dir_under_umask_000_holds_only_private_files(tmp_path):
    data_dir = tmp_path / "data"
    env = service_env(data_dir)
    manage_with_umask(env, "migrate", "--noinput", "-v0")
    manage_with_umask(env, "demo_key")
    assert mode(data_dir) == 0o700
    for name in ("db.sqlite3", "secret_key", "demo_key"):
        assert mode(data_dir / name) == 0o600, name


def test_an_export_under_umask_000_is_0600_and_never_follows_a_planted_link(tmp_path):
    data_dir = tmp_path / "data"
    env = service_env(data_dir)
    manage_with_umask(env, "migrate", "--noinput", "-v0")
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    # At the output's name and at the name an export once wrote under while in progress.
    (out / "t.csv").symlink_to(victim)
    (out / "t.csv.partial").symlink_to(victim)
    manage_with_umask(env, "export_feed", "transactions", *WINDOW, "--output", str(out / "t.csv"), "-v0")
    assert victim.read_text() == "untouched\n"
    assert not (out / "t.csv").is_symlink()
    assert (out / "t.csv").read_bytes().startswith(b"id,player_id,amount,")
    assert mode(out / "t.csv") == 0o600
