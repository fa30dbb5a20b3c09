"""The alert channels' settings, checked when the service and send_alerts start
(``AlertsConfig.ready``): a mistyped one stops them with a message naming the variable,
never its value (a webhook URL may carry a token, the secret is a secret)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

from alerts.models import Channel

SECRET_PREFIX = "whsec_"
BAD_INTERVAL = "ALERT_INTERVAL must be a number of seconds above 0"
BAD_URL = "ALERT_WEBHOOK_URL must be an http:// or https:// URL with a host (its value is not shown: it may carry a token)"
BAD_SECRET = (
    "ALERT_WEBHOOK_SECRET must be whsec_ followed by base64 (Standard Webhooks), "
    "e.g. the output of: python3 -c 'import base64, secrets; print(\"whsec_\" + base64.b64encode(secrets.token_bytes(32)).decode())' "
    "(its value is not shown)"
)
BAD_ADDRESS = "ALERT_EMAIL_TO must be comma-separated e-mail addresses; {address!r} is not one"
BOTH_TLS = "EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true: STARTTLS (port 587) or TLS from the start (port 465)"


def secret_bytes(secret: str) -> bytes:
    """The key a ``whsec_…`` secret stands for: its base64 part, decoded. ValueError when
    it is not that form (the message never holds the secret)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(BAD_SECRET)
    try:
        encoded = secret[len(SECRET_PREFIX):]
        # Padding may be left off, as the standardwebhooks package allows.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(BAD_SECRET) from None
    if not key:
        raise ValueError(BAD_SECRET)
    return key


def validate_alert_settings() -> None:
    if not settings.ALERT_INTERVAL > 0:
        raise ImproperlyConfigured(BAD_INTERVAL)
    if settings.ALERT_WEBHOOK_URL:
        parts = urlsplit(settings.ALERT_WEBHOOK_URL)
        try:
            parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
        except ValueError:
            raise ImproperlyConfigured(BAD_URL) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured(BAD_URL)
    if settings.ALERT_WEBHOOK_SECRET:
        try:
            secret_bytes(settings.ALERT_WEBHOOK_SECRET)
        except ValueError as error:
            raise ImproperlyConfigured(str(error)) from None
    for address in settings.ALERT_EMAIL_TO:
        try:
            validate_email(address)
        except ValidationError:
            raise ImproperlyConfigured(BAD_ADDRESS.format(address=address)) from None
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        raise ImproperlyConfigured(BOTH_TLS)


def configured_channels() -> list[str]:
    """The channels notifications go to now: the webhook with ALERT_WEBHOOK_URL, e-mail
    with ALERT_EMAIL_TO."""
    channels = []
    if settings.ALERT_WEBHOOK_URL:
        channels.append(Channel.WEBHOOK)
    if settings.ALERT_EMAIL_TO:
        channels.append(Channel.EMAIL)
    return channels
