"""Several ``send_alerts`` at once (assurance.md section 13: none lost, none repeated after
its delivery): two ``send_alerts --once`` processes started together check the same
expectations and deliver the same outbox; each notification is written once and
delivered once per channel. On PostgreSQL each delivery is claimed by its row lock
(``FOR UPDATE SKIP LOCKED``) and the two processes deliver side by side; on SQLite one
process delivers at a time (a file lock)."""

import email.utils
import json

import pytest
from django.db import connection

from tests.alerts.conftest import alerts_env, in_service, late_expectations, start_send_alerts
from tests.support.receivers import UNTIL_ANOTHER, WAIT, SmtpReceiver, WebhookReceiver

pytestmark = pytest.mark.django_db(transaction=True)

CHECKED = [f"checked-{n:02}" for n in range(20)]  # their pull.late already in the outbox
UNCHECKED = [f"new-{n:02}" for n in range(20)]  # both processes find them late


def test_two_senders_at_once_write_and_deliver_each_notification_once(tmp_path):
    # On PostgreSQL the first POST is held until another arrives: the second process
    # must deliver while the first holds its claim.
    hold = UNTIL_ANOTHER if connection.vendor == "postgresql" else False
    with WebhookReceiver(hold_first=hold) as hook, SmtpReceiver() as smtp:
        env = alerts_env(
            tmp_path, ALERT_WEBHOOK_URL=hook.url, ALERT_EMAIL_TO="ops@example.com",
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port),
        )
        late_expectations(env, CHECKED, check=True)
        late_expectations(env, UNCHECKED)
        senders = [start_send_alerts(env, "--once", log=tmp_path / f"sender-{n}.log") for n in (1, 2)]
        for sender in senders:
            sender.wait(WAIT * 2)
        logs = [(tmp_path / f"sender-{n}.log").read_text() for n in (1, 2)]
        assert [sender.returncode for sender in senders] == [0, 0], logs

    written = json.loads(in_service(env, """
        import json
        from alerts.models import Delivery, Notification
        print(json.dumps([list(Notification.objects.values_list("key_name", "webhook_id")),
                          Delivery.objects.filter(delivered_at=None).count()]))
    """))
    notifications, pending = written
    assert sorted(key for key, _ in notifications) == sorted(CHECKED + UNCHECKED)  # one pull.late each
    ids = sorted(webhook_id for _, webhook_id in notifications)
    assert sorted(hook.ids()) == ids  # each POSTed once
    assert sorted(email.utils.unquote(m["Message-ID"]).split("@")[0] for m in smtp.messages) == ids  # each mailed once
    assert pending == 0
    if hold:
        assert hook.concurrent, "the second process delivered while the first held a claim"
