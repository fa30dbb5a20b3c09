"""Instances on one PostgreSQL database must sign admin sessions with one key: check
--deploy warns (intarget_export.W020) when SECRET_KEY is left to be generated per DATA_DIR,
which is per machine; a SQLite service (one machine, one DATA_DIR) is not warned."""

import pytest

from tests.support.servers import clean_environ, run_manage

pytestmark = pytest.mark.engine_independent

PRODUCTION = {"DEBUG": "False", "HTTPS": "true", "ALLOWED_HOSTS": "export.example.com"}
# Never connected to: check --deploy without --database reads only the settings.
POSTGRES = "postgresql://intarget@127.0.0.1:1/intarget"


def deploy_check(tmp_path, **env: str) -> str:
    result = run_manage({**clean_environ(), "DATA_DIR": str(tmp_path), **PRODUCTION, **env}, "check", "--deploy")
    return result.stdout + result.stderr


def test_a_generated_secret_key_on_postgresql_is_warned_about(tmp_path):
    output = deploy_check(tmp_path, DATABASE_URL=POSTGRES)
    assert "intarget_export.W020" in output
    assert "set the same SECRET_KEY" in output


def test_a_given_secret_key_or_sqlite_is_not(tmp_path):
    assert "W020" not in deploy_check(tmp_path, DATABASE_URL=POSTGRES, SECRET_KEY="k3y!" * 15)
    assert "W020" not in deploy_check(tmp_path)
