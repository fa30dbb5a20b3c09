"""``manage.py test`` runs the suite bin/test runs (pytest), never Django's unittest
runner, which found none of it and said OK (issue 19; lib/test_runner.py, TEST_RUNNER).
Its exit status is pytest's verdict: non-zero for a failure and for no test selected."""

import subprocess
import sys

import pytest

from tests.support.servers import ROOT, service_env

# Processes and their exit statuses, on the inner run's own SQLite: once, in the SQLite pass.
pytestmark = pytest.mark.engine_independent

FAST = "test_an_argument_that_is_not_an_option_has_no_prefix"
MODULE = "tests/lib/test_known_names.py"


def manage_test(tmp_path, *args: str) -> subprocess.CompletedProcess:
    # Its own environment: no DATABASE_URL, so the inner run never touches this run's database.
    env = service_env(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "manage.py", "test", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_k_selects_one_test_of_the_pytest_suite_and_it_passes(tmp_path):
    done = manage_test(tmp_path, "-k", FAST, MODULE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert f"{MODULE} ." in done.stdout


def test_an_expression_that_selects_nothing_is_a_failure_not_ok(tmp_path):
    done = manage_test(tmp_path, "-k", "no_test_is_named_like_this", MODULE)
    assert done.returncode != 0
    assert "deselected" in done.stdout
    assert "OK" not in done.stdout + done.stderr


def test_a_failing_test_is_a_failure(tmp_path):
    failing = tmp_path / "test_failing.py"
    failing.write_text("def test_fails():\n    assert 1 == 2\n")
    done = manage_test(tmp_path, str(failing))
    assert done.returncode != 0
    assert "1 failed" in done.stdout
    assert "OK" not in done.stdout + done.stderr


def test_what_follows_a_double_dash_goes_to_pytest_and_a_dotted_module_is_its_file(tmp_path):
    done = manage_test(tmp_path, "--", "--collect-only", "-q", "tests.lib.test_known_names")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{MODULE}::{FAST}" in done.stdout.splitlines()
