"""Settings come from the environment: safe with none set, production mode passes
`check --deploy`, and a secret key that was not given is generated once and kept."""

import stat
import subprocess
import sys

import pytest

from tests.support.servers import ROOT, clean_environ, run_manage

PRODUCTION = {"DEBUG": "False", "HTTPS": "true", "SECRET_KEY": "x7!kq" * 12, "ALLOWED_HOSTS": "export.example.com"}
PRINT_SETTINGS = "from django.conf import settings; print('settings:', settings.DEBUG, settings.SECRET_KEY)"


def printed(result) -> tuple[str, str]:
    """(DEBUG, SECRET_KEY) as printed by PRINT_SETTINGS."""
    output = result if isinstance(result, str) else result.stdout
    line = next(line for line in output.splitlines() if line.startswith("settings: "))
    debug, key = line.split()[1:]
    return debug, key


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py with only ``env`` of our settings (none: the defaults)."""
    return run_manage({**clean_environ(), **env}, *args)


def start_manage(*args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean_environ(), **env}, stdout=subprocess.PIPE, text=True
    )


def test_production_mode_passes_check_deploy_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout


def test_without_the_https_switch_check_deploy_names_what_is_missing():
    # Plain HTTP is the no-environment default; check --deploy must still flag it.
    result = manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "HTTPS": ""})
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout  # SECURE_SSL_REDIRECT
    assert "security.W012" in result.stderr + result.stdout  # SESSION_COOKIE_SECURE


def test_with_no_environment_debug_is_off_and_a_secret_key_is_generated_and_kept(tmp_path):
    first = manage("shell", "-c", PRINT_SETTINGS, DATA_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    debug, key = printed(first)
    assert debug == "False"
    assert len(key) >= 50
    kept = tmp_path / "secret_key"
    assert kept.read_text().strip() == key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert printed(manage("shell", "-c", PRINT_SETTINGS, DATA_DIR=str(tmp_path)))[1] == key


def test_every_data_dir_gets_its_own_secret_key(tmp_path):
    # Never a fixed value from the code.
    keys = {printed(manage("shell", "-c", PRINT_SETTINGS, DATA_DIR=str(tmp_path / name)))[1] for name in "ab"}
    assert len(keys) == 2


def test_processes_starting_at_once_agree_on_one_secret_key(tmp_path):
    processes = [start_manage("shell", "-c", PRINT_SETTINGS, DATA_DIR=str(tmp_path)) for _ in range(8)]
    keys = {printed(process.communicate(timeout=60)[0])[1] for process in processes}
    assert keys == {(tmp_path / "secret_key").read_text().strip()}
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]  # no temporary files left


def test_a_given_secret_key_is_used_and_nothing_is_written(tmp_path):
    result = manage("shell", "-c", PRINT_SETTINGS, DATA_DIR=str(tmp_path), SECRET_KEY="k" * 60)
    assert printed(result)[1] == "k" * 60
    assert not (tmp_path / "secret_key").exists()


def test_an_unwritable_data_dir_without_a_secret_key_is_refused_by_name(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = manage("check", DATA_DIR=str(blocker / "data"))
    assert result.returncode != 0
    assert "SECRET_KEY is not set and cannot be kept under DATA_DIR" in result.stderr


def test_debug_is_turned_on_only_by_asking(tmp_path):
    result = manage("shell", "-c", PRINT_SETTINGS, DATA_DIR=str(tmp_path), DEBUG="True")
    assert printed(result)[0] == "True"


def test_a_malformed_boolean_is_refused_by_name(tmp_path):
    result = manage("check", DEBUG="maybe", DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG must be True or False, not 'maybe'" in result.stderr


def test_a_malformed_whole_number_is_refused_by_name(tmp_path):
    result = manage("check", AXES_FAILURE_LIMIT="five", DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "AXES_FAILURE_LIMIT must be a whole number, not 'five'" in result.stderr


@pytest.mark.engine_independent  # the check runs on the service's default, SQLite
@pytest.mark.parametrize(
    "value, message",
    [("50MiB", "PUSH_MAX_BYTES must be a whole number, not '50MiB'"),
     ("0", "PUSH_MAX_BYTES must be a whole number of bytes, at least 1; got '0'")],
)
def test_a_bad_push_max_bytes_stops_the_service_by_name(tmp_path, value, message):
    result = manage("check", PUSH_MAX_BYTES=value, DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert message in result.stderr
