"""No shipped secret (issue 18, item 5): a SECRET_KEY or database password that this
repository shows anywhere fails ``check --deploy`` (intarget_export.E021), without the
value in the message; compose.yaml holds no secret and publishes on loopback by default,
taking its secrets from a .env file that the operator writes from .env.example."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import yaml

from intarget_export.checks import FORMERLY_SHIPPED, _written_in
from tests.support.servers import ROOT, clean_environ, run_manage

pytestmark = pytest.mark.engine_independent

PRODUCTION = {"DEBUG": "False", "HTTPS": "true", "ALLOWED_HOSTS": "export.example.com"}
OLD_COMPOSE_KEY, OLD_COMPOSE_PASSWORD = FORMERLY_SHIPPED


def deploy_check(tmp_path: Path, **env: str):
    return run_manage({**clean_environ(), "DATA_DIR": str(tmp_path), **PRODUCTION, **env}, "check", "--deploy")


def postgres_url(password: str) -> str:
    # Never connected to: check --deploy without --database reads only the settings.
    return f"postgresql://intarget:{password}@127.0.0.1:1/intarget"


def test_the_key_compose_once_shipped_fails_the_deploy_check_without_showing_it(tmp_path):
    done = deploy_check(tmp_path, SECRET_KEY=OLD_COMPOSE_KEY)
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert "intarget_export.E021" in output
    assert "SECRET_KEY is written in this repository" in output
    assert OLD_COMPOSE_KEY not in output


def test_a_database_password_written_in_the_repository_fails_the_deploy_check(tmp_path):
    done = deploy_check(
        tmp_path, SECRET_KEY=secrets.token_urlsafe(50), DATABASE_URL=postgres_url(OLD_COMPOSE_PASSWORD)
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert "the password in DATABASE_URL is written in this repository" in output
    assert f":{OLD_COMPOSE_PASSWORD}@" not in output


def test_fresh_random_secrets_pass(tmp_path):
    done = deploy_check(
        tmp_path, SECRET_KEY=secrets.token_urlsafe(50), DATABASE_URL=postgres_url(secrets.token_urlsafe(32))
    )
    assert "E021" not in done.stdout + done.stderr
    assert done.returncode == 0, done.stderr


def test_the_scan_reads_the_source_tree_but_not_the_operators_own_files(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "example.md").write_text("SECRET_KEY=in-the-docs-0123456789\n")
    (tmp_path / ".env.example").write_text("POSTGRES_PASSWORD=in-the-example\n")
    (tmp_path / ".env").write_text("SECRET_KEY=the-operators-own\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret_key").write_text("generated-here\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "COMMIT_EDITMSG").write_text("in-git-history\n")
    secrets_ = {
        "a": "in-the-docs-0123456789",
        "b": "in-the-example",
        "c": "the-operators-own",
        "d": "generated-here",
        "e": "in-git-history",
        "f": "in-the-docs",  # part of a longer word only: not that value
    }
    assert _written_in(tmp_path, secrets_, skipped=set()) == {"a": "docs/example.md", "b": ".env.example"}


def test_compose_holds_no_secret_and_publishes_on_loopback_unless_told():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    web = services["web"]["environment"]
    assert web["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "${POSTGRES_PASSWORD:?" in web["DATABASE_URL"]
    assert services["nginx"]["ports"] == ["${BIND_ADDRESS:-127.0.0.1}:${PORT:-8000}:80"]
    assert "ports" not in services["web"] and "ports" not in services["db"]


def test_the_example_env_file_carries_no_secret_and_env_files_are_never_shipped():
    example = dict(
        line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines() if line and not line.startswith("#")
    )
    assert example["SECRET_KEY"] == "" and example["POSTGRES_PASSWORD"] == ""
    assert example["BIND_ADDRESS"] == "127.0.0.1"
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in (ROOT / ".dockerignore").read_text().splitlines()
