"""What the alert tests share: a pull key named InTarget, pulls of it, send_alerts run
in this process, and real receivers (tests/support/receivers.py) configured as its
channels."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from tests.support.factories import PullFactory, issue_key
from tests.support.receivers import SmtpReceiver, WebhookReceiver

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
