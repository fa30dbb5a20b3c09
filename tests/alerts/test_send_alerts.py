"""``manage.py send_alerts [--once]`` (assurance.md section 13): checks, sends one
notification per change, says what it did; without a channel it tracks states and says
that nothing was sent; without --once it checks every ALERT_INTERVAL seconds."""

import datetime as dt
import json
import signal

import pytest

from alerts.models import Expectation, Notification
from tests.alerts.conftest import alerts_env, in_service, now, send_alerts, start_send_alerts
from tests.support.factories import DeliveryFactory, ExpectationFactory
from tests.support.receivers import WAIT, WebhookReceiver
from tests.support.servers import manage, new_key


@pytest.mark.django_db
def test_without_a_channel_states_are_tracked_and_it_says_nothing_was_sent(settings):
    settings.ALERT_WEBHOOK_URL, settings.ALERT_EMAIL_TO = "", []
    ExpectationFactory(feed="users", every=60, grace=60, set_at=now() - dt.timedelta(days=1))
    ExpectationFactory(feed="bets")
    assert send_alerts("--once") == (
        0,
        "checked 2 expected pulls (1 up, 1 late); notifications: 1 pull.late\n"
        "nothing was sent: no alert channel is configured (set ALERT_WEBHOOK_URL or ALERT_EMAIL_TO)\n",
    )
    assert Expectation.objects.get(feed="users").notified_state == "late"
    assert not Notification.objects.get().deliveries.exists()


@pytest.mark.django_db
def test_nothing_to_say_is_said_once(settings):
    settings.ALERT_WEBHOOK_URL = "http://127.0.0.1:9/never-called"
    assert send_alerts("--once") == (0, "checked 0 expected pulls; notifications: none\n")


@pytest.mark.django_db
def test_a_delivery_waiting_for_a_channel_no_longer_configured_stays_pending_and_is_said(settings):
    settings.ALERT_WEBHOOK_URL, settings.ALERT_EMAIL_TO = "", []
    delivery = DeliveryFactory(channel="email")
    status, out = send_alerts("--once")
    assert status == 1
    assert "1 notifications wait for e-mail, which is not configured now" in out
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.delivered_at) == (0, None)


@pytest.mark.django_db(transaction=True)
def test_the_loop_notifies_a_feed_going_late_and_recovering_until_stopped(tmp_path):
    """The whole path from outside: a key, expect_pulls, no pull for every + grace (1 s +
    1 s), the webhook; a pull; the webhook again."""
    with WebhookReceiver() as hook:
        env = alerts_env(tmp_path, ALERT_WEBHOOK_URL=hook.url)
        new_key(env, "InTarget", "--feeds", "users")
        manage(env, "expect_pulls", "InTarget", "--every", "1s", "--grace", "1s", "--feeds", "users")
        sender = start_send_alerts(env, log=tmp_path / "sender.log")
        try:
            assert hook.arrived.wait(WAIT), (tmp_path / "sender.log").read_text()
            hook.arrived.clear()
            in_service(env, """
                from django.utils import timezone
                from operations.models import Pull
                Pull.objects.create(started_at=timezone.now(), key_name="InTarget", feed="users", format="csv",
                                    status=200, complete=True, duration_ms=5)
            """)
            assert hook.arrived.wait(WAIT), (tmp_path / "sender.log").read_text()
            sender.send_signal(signal.SIGTERM)
            assert sender.wait(WAIT) == 0
        finally:
            sender.kill()
    late, recovered = (json.loads(request.body) for request in hook.received[:2])
    assert (late["type"], late["state"], late["last_pull_at"]) == ("pull.late", "late", None)
    assert (recovered["type"], recovered["state"]) == ("pull.recovered", "up")
    log = (tmp_path / "sender.log").read_text()
    assert log.startswith("send_alerts: checking every 1 s; sending by webhook; SIGTERM or SIGINT stops it\n")
    assert "delivered by webhook: 1" in log and log.endswith("send_alerts: stopped\n")
