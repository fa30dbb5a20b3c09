"""The webhook (assurance.md section 13): one POST of the notification's JSON per
notification, signed the Standard Webhooks way; delivered on a 2xx answer, sent again at
every check until then (same id, same body), never again after. A real HTTP receiver
on loopback."""

import base64
import datetime as dt
import hashlib
import hmac
import json

import pytest
from standardwebhooks import Webhook

from alerts.models import Delivery, Notification
from tests.alerts.conftest import WEBHOOK_SECRET, now, send_alerts
from tests.support.factories import ExpectationFactory
from tests.support.receivers import WebhookReceiver, webhook_url
from tests.support.servers import free_port

pytestmark = pytest.mark.django_db


def late(feed: str = "users") -> None:
    """An expectation that is late at its first check: a pull.late to send."""
    ExpectationFactory(feed=feed, every=60, grace=60, set_at=now() - dt.timedelta(days=1))


def test_one_post_of_the_json_body_with_the_standard_webhooks_headers(webhook):
    late()
    assert send_alerts("--once")[0] == 0
    (request,) = webhook.received
    notification = Notification.objects.get()
    assert request.body == notification.body.encode()
    assert json.loads(request.body)["type"] == "pull.late"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == notification.webhook_id
    assert abs(int(request.headers["webhook-timestamp"]) - now().timestamp()) < 600
    # The package's own check (which also bounds the timestamp's age)…
    assert Webhook(WEBHOOK_SECRET).verify(request.body, request.headers) == json.loads(request.body)
    # …and the spec's words: base64 of HMAC-SHA256 of "<id>.<timestamp>.<body>", keyed
    # with the secret's decoded bytes, after "v1,".
    key = base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_"))
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] == f"v1,{expected}"


def test_a_wrong_secret_does_not_verify(webhook):
    late()
    send_alerts("--once")
    (request,) = webhook.received
    other = "whsec_" + base64.b64encode(b"another secret of 24 byte").decode()
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(other).verify(request.body, request.headers)


def test_without_a_secret_the_post_is_not_signed_but_still_carries_its_id(webhook, settings):
    settings.ALERT_WEBHOOK_SECRET = ""
    late()
    assert send_alerts("--once")[0] == 0
    (request,) = webhook.received
    assert "webhook-signature" not in request.headers
    assert request.headers["webhook-id"] == Notification.objects.get().webhook_id


def test_refused_then_accepted_is_delivered_exactly_once_after(settings):
    with WebhookReceiver(answers=[500, 200]) as receiver:
        settings.ALERT_WEBHOOK_URL, settings.ALERT_WEBHOOK_SECRET = receiver.url, WEBHOOK_SECRET
        late()
        status, out = send_alerts("--once")
        assert status == 1
        assert "not delivered by webhook (HTTP 500): 1 wait for the next check" in out
        delivery = Delivery.objects.get()
        assert (delivery.attempts, delivery.last_error, delivery.delivered_at) == (1, "HTTP 500", None)
        assert send_alerts("--once") == (0, "checked 1 expected pulls (1 late); notifications: none\ndelivered by webhook: 1\n")
        assert send_alerts("--once")[0] == 0
        first, second = receiver.received
        assert receiver.answered == [500, 200]  # and no third POST
        assert (first.headers["webhook-id"], first.body) == (second.headers["webhook-id"], second.body)
        delivery.refresh_from_db()
        assert delivery.attempts == 2 and delivery.delivered_at is not None


def test_a_receiver_that_is_down_is_tried_again_at_the_next_check(settings):
    port = free_port()
    settings.ALERT_WEBHOOK_URL = webhook_url(port)  # nothing listens there yet
    late()
    assert send_alerts("--once")[0] == 1
    assert Delivery.objects.get().last_error == "ConnectionRefusedError"
    with WebhookReceiver(port=port) as receiver:
        assert send_alerts("--once")[0] == 0
        assert len(receiver.received) == 1


def test_the_first_failure_ends_the_channels_turn_and_order_is_kept(settings):
    with WebhookReceiver(answers=[503, 200]) as receiver:
        settings.ALERT_WEBHOOK_URL = receiver.url
        for feed in ("users", "bets", "logins"):
            late(feed)
        assert send_alerts("--once")[0] == 1
        assert len(receiver.received) == 1  # not one timeout per notification
        assert send_alerts("--once")[0] == 0
        assert [json.loads(r.body)["feed"] for r in receiver.received] == ["bets", "bets", "logins", "users"]
        assert len(set(receiver.ids())) == 3


def test_a_redirect_is_a_failure_not_a_delivery(settings):
    # urllib would follow it with a GET that has no body, and that GET's 200 would look delivered.
    with WebhookReceiver(answers=[302]) as receiver:
        settings.ALERT_WEBHOOK_URL = receiver.url
        late()
        assert send_alerts("--once")[0] == 1
        assert [r.path for r in receiver.received] == ["/hooks/intarget"]
        assert Delivery.objects.get().last_error == "HTTP 302"


def test_credentials_in_the_url_are_sent_as_basic_auth_and_never_shown(settings, caplog):
    with WebhookReceiver(answers=[500]) as receiver:
        settings.ALERT_WEBHOOK_URL = receiver.url.replace("http://", "http://alerts:s3cr%40t@")
        late()
        status, out = send_alerts("--once")
        (request,) = receiver.received
        assert request.headers["authorization"] == "Basic " + base64.b64encode(b"alerts:s3cr@t").decode()
        shown = out + caplog.text + Delivery.objects.get().last_error
        assert status == 1 and "HTTP 500" in shown
        assert "s3cr" not in shown and "alerts:" not in shown and str(receiver.port) not in shown
