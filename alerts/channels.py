"""How a notification leaves: a webhook POST signed the Standard Webhooks way, or an
e-mail through Django's SMTP settings (assurance.md section 13).

A sender's ``send`` returns once the channel has accepted the notification (a 2xx
answer; a message the SMTP server accepted) and raises ``NotDelivered`` otherwise, with
the kind of failure only: never its text, which may carry the webhook's URL (and a
token in it) or what an SMTP server echoed back.
"""

from __future__ import annotations

import base64
import datetime as dt
import urllib.request
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from standardwebhooks import Webhook

from alerts.models import Channel, Notification, NotificationType

# Seconds to connect to the webhook's receiver, and for each of its answers' reads.
WEBHOOK_TIMEOUT = 10
USER_AGENT = "intarget-export-alerts"
SUBJECT_PREFIX = "[intarget-export]"


class NotDelivered(Exception):
    """The channel did not accept the notification; ``kind`` says how ("HTTP 500",
    "ConnectionRefusedError", "SMTPRecipientsRefused")."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be sent on as a GET without its body, and that GET's 200
    taken for a delivery: a redirect is a failure (``HTTP 301``) instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookSender:
    channel = Channel.WEBHOOK

    def __init__(self) -> None:
        parts = urlsplit(settings.ALERT_WEBHOOK_URL)
        # Credentials in the URL (https://user:password@host/…) become Basic auth:
        # urllib would take them for part of the host.
        self.url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        self.authorization = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.authorization = "Basic " + base64.b64encode(pair.encode()).decode()
        secret = settings.ALERT_WEBHOOK_SECRET
        self.signer = Webhook(secret) if secret else None
        self.opener = urllib.request.build_opener(_NoRedirects)

    def headers(self, notification: Notification, now: dt.datetime) -> dict[str, str]:
        """``webhook-id`` (the same on every retry) and ``webhook-timestamp`` (this
        attempt's, Unix seconds) always, so that a receiver can drop duplicates; with a
        secret, ``webhook-signature`` over ``<id>.<timestamp>.<body>``."""
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": notification.webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
        }
        if self.signer is not None:
            headers["webhook-signature"] = self.signer.sign(notification.webhook_id, now, notification.body.encode())
        if self.authorization is not None:
            headers["Authorization"] = self.authorization
        return headers

    def send(self, notification: Notification) -> None:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        request = urllib.request.Request(
            self.url, data=notification.body.encode(), headers=self.headers(notification, now), method="POST"
        )
        try:
            with self.opener.open(request, timeout=WEBHOOK_TIMEOUT) as answer:
                status = answer.status
        except HTTPError as error:
            error.close()
            raise NotDelivered(f"HTTP {error.code}") from None
        except URLError as error:
            reason = error.reason
            raise NotDelivered(type(reason).__name__ if isinstance(reason, BaseException) else "URLError") from None
        except Exception as error:  # timeouts, resets, a malformed answer: the kind is enough
            raise NotDelivered(type(error).__name__) from None
        if not 200 <= status < 300:
            raise NotDelivered(f"HTTP {status}")

    def close(self) -> None:
        pass


def email_subject(payload: dict[str, Any]) -> str:
    return f"{SUBJECT_PREFIX} {payload['type']}: key {payload['key']}, feed {payload['feed']}"


def _when(value: str | None) -> str:
    return f"{value} UTC" if value else "none"


def email_text(payload: dict[str, Any]) -> str:
    """What happened, the last pull, and for a gap the window to ask for again."""
    key, feed = payload["key"], payload["feed"]
    if payload["type"] == NotificationType.LATE:
        lines = [f"The keys named {key} have not completed a pull of {feed} in time: {feed} is late for {key}."]
    elif payload["type"] == NotificationType.RECOVERED:
        lines = [f"The keys named {key} completed a pull of {feed} again: {feed} is up for {key}."]
    else:
        gap = payload["gap"]
        query = f"from={gap['from'].replace(' ', '+')}&to={gap['to'].replace(' ', '+')}"
        lines = [
            f"The keys named {key} never received a window of {feed}: from {gap['from']} to {gap['to']} UTC.",
            "Rows changed then never reached InTarget. Ask InTarget to pull that window again:",
            "",
            f"    GET /api/{feed}?{query}",
            "",
            f"    {query}",
        ]
    lines += [
        "",
        f"Last pull: ended {_when(payload['last_pull_at'])}; greatest window end (to) received: {_when(payload['last_to'])}.",
        f"Now: {payload['state']}. Noticed at {_when(payload['at'])}.",
        "",
        f'python manage.py pull_status --key "{key}" shows every feed of the key; '
        f'python manage.py pull_log --key "{key}" --feed {feed} its pulls.',
    ]
    return "\n".join(lines) + "\n"


class EmailSender:
    """One SMTP connection for a check's messages, opened at the first."""

    channel = Channel.EMAIL

    def __init__(self) -> None:
        self.connection = get_connection(fail_silently=False)

    def send(self, notification: Notification) -> None:
        payload = notification.payload
        message = EmailMessage(
            subject=email_subject(payload),
            body=email_text(payload),
            to=settings.ALERT_EMAIL_TO,
            connection=self.connection,
            # The same on every retry, as the webhook's id: a mail client shows a message
            # that was sent twice (accepted, but not recorded as such) once.
            headers={"Message-ID": f"<{notification.webhook_id}@intarget-export>"},
        )
        try:
            self.connection.open()  # once: send_messages closes only a connection it opened
            sent = self.connection.send_messages([message])
        except Exception as error:  # refused, unreachable, timed out, bad credentials
            self.close()
            raise NotDelivered(type(error).__name__) from None
        if sent != 1:
            raise NotDelivered("not accepted")

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # noqa: S110 - a connection that already failed: nothing to close
            pass


SENDERS: dict[str, type[WebhookSender] | type[EmailSender]] = {
    Channel.WEBHOOK: WebhookSender,
    Channel.EMAIL: EmailSender,
}
