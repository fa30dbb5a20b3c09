"""E-mail (assurance.md section 13): with ALERT_EMAIL_TO, one message per notification
through Django's SMTP settings; the subject names the type, the key and the feed; the
text says what happened, the last pull, and for a gap the window to ask for again. A
real SMTP server (aiosmtpd) on loopback, which requires a login."""

import datetime as dt

import pytest

from alerts.delivery import deliver_pending
from alerts.models import Delivery, Notification
from alerts.services import expectations_check
from tests.alerts.conftest import SMTP_PASSWORD, SMTP_USER, pulled, send_alerts
from tests.support.factories import ExpectationFactory, at
from tests.support.receivers import SmtpReceiver

pytestmark = pytest.mark.django_db


def test_a_late_feed_is_one_message_to_every_address(smtp):
    ExpectationFactory(key_name="InTarget production", feed="users", every=600, grace=120,
                       set_at=at("2024-03-10 06:00:00"))
    pulled(key="InTarget production", ended=at("2024-03-10 07:00:04"), window_to=at("2024-03-10 07:00:00"))
    expectations_check(now=at("2024-03-10 07:12:05"))
    assert send_alerts("--once")[0] == 0
    (message,) = smtp.messages
    assert smtp.recipients == [["ops@example.com", "oncall@example.com"]]
    assert smtp.logins == [(SMTP_USER, True)]
    assert message["Subject"] == "[intarget-export] pull.late: key InTarget production, feed users"
    assert message["From"] == "intarget-export@localhost"
    assert message["Message-ID"] == f"<{Notification.objects.get().webhook_id}@intarget-export>"
    text = message.get_content()
    assert "have not completed a pull of users in time: users is late for InTarget production" in text
    assert ("Last pull: ended 2024-03-10 07:00:04 UTC; greatest window end (to) received: "
            "2024-03-10 07:00:00 UTC.") in text
    assert "Noticed at 2024-03-10 07:12:05 UTC" in text


def test_a_gap_says_the_window_to_ask_for_again_ready_to_use(smtp):
    ExpectationFactory(feed="bets", every=600, grace=120, set_at=at("2024-03-10 06:00:00"))
    for start, end in [("06:00", "06:10"), ("06:30", "06:40")]:
        pulled(feed="bets", ended=at(f"2024-03-10 {end}:02"), window_from=at(f"2024-03-10 {start}:00"),
               window_to=at(f"2024-03-10 {end}:00"))
    expectations_check(now=at("2024-03-10 06:55:00"))  # late, with the gap 06:10-06:30
    assert send_alerts("--once")[0] == 0
    late, gap = smtp.messages
    assert late["Subject"] == "[intarget-export] pull.late: key InTarget, feed bets"
    assert gap["Subject"] == "[intarget-export] pull.gap: key InTarget, feed bets"
    text = gap.get_content()
    assert "never received a window of bets: from 2024-03-10 06:10:00 to 2024-03-10 06:30:00 UTC" in text
    assert "GET /api/bets?from=2024-03-10+06:10:00&to=2024-03-10+06:30:00" in text
    assert "Last pull: ended 2024-03-10 06:40:02 UTC" in text


def test_a_recovery_says_so(smtp):
    ExpectationFactory(every=600, grace=120, set_at=at("2024-03-10 06:00:00"))
    expectations_check(now=at("2024-03-10 07:00:00"))
    pulled(ended=at("2024-03-10 07:00:30"))
    expectations_check(now=at("2024-03-10 07:01:00"))
    deliver_pending()
    assert [m["Subject"].split(":")[0] for m in smtp.messages] == ["[intarget-export] pull.late", "[intarget-export] pull.recovered"]
    assert "completed a pull of users again: users is up for InTarget" in smtp.messages[1].get_content()


def test_a_message_the_server_refuses_is_sent_again_at_the_next_check(settings):
    with SmtpReceiver(refuse_first=1) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.ALERT_EMAIL_TO = "127.0.0.1", server.port, ["ops@example.com"]
        ExpectationFactory(every=60, grace=60, set_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        status, out = send_alerts("--once")
        assert status == 1 and "not delivered by e-mail to ops@example.com (SMTPDataError)" in out
        assert send_alerts("--once")[0] == 0
        assert send_alerts("--once")[0] == 0
        assert (server.attempts, len(server.messages)) == (2, 1)
        assert Delivery.objects.get().attempts == 2


def test_a_wrong_password_is_a_failure_named_by_its_kind_only(smtp, settings, caplog):
    settings.EMAIL_HOST_PASSWORD = "wrong-password-71a3"
    ExpectationFactory(every=60, grace=60, set_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    status, out = send_alerts("--once")
    assert status == 1
    assert Delivery.objects.get().last_error == "SMTPAuthenticationError"
    assert smtp.messages == []
    for secret in ("wrong-password-71a3", SMTP_PASSWORD):
        assert secret not in out + caplog.text
