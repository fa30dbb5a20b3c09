"""What the alert tests share: a pull key named InTarget, pulls of it, send_alerts run
in this process, and real receivers (tests/support/receivers.py) configured as its
channels."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.support.factories import PullFactory, issue_key
from tests.support.receivers import SmtpReceiver, WebhookReceiver
from tests.support.servers import ROOT, manage, shared_database_env

UTC = dt.timezone.utc
# A secret in the Standard Webhooks form (whsec_ and base64 of 24 random bytes).
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SMTP_USER, SMTP_PASSWORD = "alerts@example.com", "smtp-password-9d1c5e"


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


def pulled(*, ended: dt.datetime, key: str = "InTarget", feed: str = "users", duration_ms: int = 1500, **fields):
    """A complete 200 pull that ended at ``ended`` (started ``duration_ms`` earlier)."""
    started = ended - dt.timedelta(milliseconds=duration_ms)
    fields.setdefault("window_to", started.replace(microsecond=0))
    fields.setdefault("window_from", fields["window_to"] - dt.timedelta(hours=1))
    return PullFactory(key_name=key, feed=feed, started_at=started, duration_ms=duration_ms, **fields)


def send_alerts(*args: str) -> tuple[int, str]:
    """``send_alerts`` in this process: its exit status and its output (stdout, then the
    error's message)."""
    out = io.StringIO()
    try:
        call_command("send_alerts", *args, stdout=out)
    except CommandError as error:
        return 1, out.getvalue() + str(error)
    return 0, out.getvalue()


@pytest.fixture
def intarget(db):
    """A pull key named InTarget that may pull users and bets."""
    key, _ = issue_key("InTarget", feeds=["users", "bets"])
    return key


@pytest.fixture
def webhook(settings):
    with WebhookReceiver() as receiver:
        settings.ALERT_WEBHOOK_URL = receiver.url
        settings.ALERT_WEBHOOK_SECRET = WEBHOOK_SECRET
        yield receiver


@pytest.fixture
def smtp(settings):
    with SmtpReceiver(user=SMTP_USER, password=SMTP_PASSWORD) as receiver:
        # pytest-django keeps mail in memory; these tests send it to a real server.
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", receiver.port
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = SMTP_USER, SMTP_PASSWORD
        settings.ALERT_EMAIL_TO = ["ops@example.com", "oncall@example.com"]
        yield receiver


def alerts_env(tmp_path, **extra: str) -> dict[str, str]:
    """The environment of a send_alerts process on a database this test can reach too
    (PostgreSQL: the test database, so the test is ``transaction=True``; SQLite: a migrated
    file of its own, written to by ``in_service``)."""
    return shared_database_env(tmp_path, **{"ALERT_INTERVAL": "1", **extra})


def in_service(env: dict[str, str], code: str) -> str:
    """Run ``code`` in the service's environment (``manage.py shell -c``): the way to write
    to a SQLite file that this test's own in-memory database is not."""
    return manage(env, "shell", "-v0", "-c", textwrap.dedent(code))


def late_expectations(env: dict[str, str], names: list[str], *, check: bool = False) -> None:
    """Expectations of users for these key names, set long ago and never pulled: late; with
    ``check``, checked once (their pull.late written, pending on env's channels)."""
    in_service(env, f"""
        import datetime as dt
        from alerts.models import Expectation
        from alerts.services import expectations_check
        old = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
        Expectation.objects.bulk_create(
            Expectation(key_name=name, feed="users", every=60, grace=60, set_at=old) for name in {names!r}
        )
        if {check!r}:
            expectations_check()
    """)


def start_send_alerts(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    """``manage.py send_alerts`` in its own process, stdout and stderr to ``log``."""
    out = log.open("w")
    return subprocess.Popen(
        [sys.executable, "manage.py", "send_alerts", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
    )
