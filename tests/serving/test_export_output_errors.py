"""``export_feed --output`` that cannot be written: a clean error naming the path, a non-zero
exit status, no traceback, and no file left behind, whole or partial."""

import datetime as dt
import io
import resource
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.support.servers import ROOT, manage, migrate, run_manage, service_env

# No database engine changes what this checks: it runs once, in the SQLite pass.
pytestmark = [pytest.mark.django_db, pytest.mark.engine_independent]

WINDOW = ["--from", "2020-10-10 07:00:00", "--to", "2020-10-10 08:00:00"]


def export(*args: str) -> None:
    call_command("export_feed", "transactions", *WINDOW, *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_a_missing_folder_is_a_command_error_naming_the_path(tmp_path):
    target = tmp_path / "no-such-folder" / "t.csv"
    with pytest.raises(CommandError) as excinfo:
        export("--output", str(target))
    assert str(excinfo.value) == f"--output {target}: no such folder {target.parent}"
    assert list(tmp_path.iterdir()) == []


def test_a_folder_as_the_output_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match=rf"--output {tmp_path}: is a folder"):
        export("--output", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_a_place_where_no_file_can_be_made_is_a_command_error(db):
    # /proc exists but takes no new files (even as root, which ignores permissions).
    with pytest.raises(CommandError, match=r"--output /proc/t\.csv: cannot write there"):
        export("--output", "/proc/t.csv")


def test_from_the_shell_the_exit_status_is_1_with_one_line_and_no_traceback(tmp_path):
    env = service_env(tmp_path)
    migrate(env)
    target = tmp_path / "missing" / "t.csv"
    done = run_manage(env, "export_feed", "transactions", *WINDOW, "--output", str(target))
    assert done.returncode == 1
    assert done.stderr == f"CommandError: --output {target}: no such folder {target.parent}\n"
    assert done.stdout == ""
    assert not target.parent.exists()


def test_a_disk_full_midway_leaves_no_partial_file(tmp_path):
    """The file-size limit (RLIMIT_FSIZE) makes the disk "full" after 256 KiB of a ~1 MB export."""
    env = service_env(tmp_path)
    migrate(env)
    rows = "".join(f"t{n},p{n},{n}.5,EUR,IN,2020-10-10 07:00:00,{'x' * 400}\n" for n in range(2500))
    source = tmp_path / "t.csv"
    source.write_text("id,player_id,amount,currency,dir,created_at,comment\n" + rows)
    manage(env, "import_feed", "transactions", str(source))
    out = tmp_path / "out"
    out.mkdir()
    target = out / "t.csv"
    # The rows are stamped at load time: a window from long before to a second after it.
    time.sleep(1.1)
    end = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    window = ["--from", "2020-01-01 00:00:00", "--to", end]
    limit = 256 * 1024

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, "manage.py", "export_feed", "transactions", *window, "--output", str(target)],
        cwd=ROOT, env=env, capture_output=True, text=True, preexec_fn=limit_file_size,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"CommandError: --output {target}: File too large"), done.stderr
    assert list(out.iterdir()) == []
    # The same export without the limit is whole, so the limit was what stopped it.
    manage(env, "export_feed", "transactions", *window, "--output", str(target))
    assert target.stat().st_size > limit
    assert list(out.iterdir()) == [target]
