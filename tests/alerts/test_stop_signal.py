"""``send_alerts`` ends cleanly on SIGTERM or SIGINT (assurance.md section 13): the
delivery in progress is finished and recorded, the rest is left for the next start, the
exit status is 0; started again, it sends what was left and nothing twice."""

import signal

import pytest

from tests.alerts.conftest import alerts_env, late_expectations, start_send_alerts
from tests.support.receivers import WAIT, WebhookReceiver
from tests.support.servers import run_manage

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = ["InTarget", "InTarget staging", "Backup"]


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_a_check_ends_it_cleanly_and_nothing_is_sent_twice(tmp_path, number):
    with WebhookReceiver(hold_first=True) as hook:
        env = alerts_env(tmp_path, ALERT_WEBHOOK_URL=hook.url)
        late_expectations(env, NAMES)
        sender = start_send_alerts(env, log=tmp_path / "sender.log")
        try:
            assert hook.held.wait(WAIT), (tmp_path / "sender.log").read_text()
            # The first POST is in flight: the signal comes now; the answer after it.
            sender.send_signal(number)
            hook.release.set()
            assert sender.wait(WAIT) == 0
        finally:
            sender.kill()
        log = (tmp_path / "sender.log").read_text()
        assert "send_alerts: stopped" in log and "Traceback" not in log
        assert len(hook.received) == 1  # the rest was left for the next start

        again = run_manage(env, "send_alerts", "--once")
        assert again.returncode == 0, again.stdout + again.stderr
        assert "delivered by webhook: 2" in again.stdout
        assert len(hook.received) == 3 and len(set(hook.ids())) == 3


def test_a_signal_while_waiting_for_the_next_check_ends_it_at_once(tmp_path):
    with WebhookReceiver() as hook:
        env = alerts_env(tmp_path, ALERT_WEBHOOK_URL=hook.url, ALERT_INTERVAL="3600")
        late_expectations(env, ["InTarget"])
        sender = start_send_alerts(env, log=tmp_path / "sender.log")
        try:
            assert hook.arrived.wait(WAIT)  # the first check is done; the next is an hour away
            sender.send_signal(signal.SIGTERM)
            assert sender.wait(WAIT) == 0
        finally:
            sender.kill()
        assert len(hook.received) == 1
