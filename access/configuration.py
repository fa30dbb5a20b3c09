"""Access settings are checked when the service starts (``AccessConfig.ready``), so a
mistyped limit or proxy list stops it with a message instead of being ignored."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from access.clients import trusted_proxies
from access.limits import max_streams, rate_limit

BAD_PROXIES = "TRUSTED_PROXIES must be comma-separated networks or addresses, e.g. 10.0.0.0/8,::1; {error}"


def validate_access_settings() -> None:
    rate_limit()
    max_streams()
    try:
        trusted_proxies()
    except ValueError as error:
        raise ImproperlyConfigured(BAD_PROXIES.format(error=error)) from None
