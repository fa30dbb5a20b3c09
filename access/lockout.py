"""django-axes hooks for the admin login lockout (settings ``AXES_*``, docs/security.md).

Attempts are counted per user name and client address, the address of
``access.clients.client_address``: the socket's peer, or behind a trusted proxy
(``TRUSTED_PROXIES``) the address that proxy saw. X-Forwarded-For from anyone else is
ignored; believing it would let an attacker pick a fresh address for every guess.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape

LOCKED_OUT = (
    "Too many failed logins for this user name from this address. Try again in {minutes} "
    "minutes, or ask an operator to lift the lockout (admin: Axes, access attempts; or "
    "manage.py axes_reset)."
)


def locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """A short, plain page (never a debug page); 429 with Retry-After for scripts."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    message = LOCKED_OUT.format(minutes=math.ceil(seconds / 60))
    page = f"<!doctype html><title>Login locked</title><h1>Login locked</h1><p>{escape(message)}</p>\n"
    response = HttpResponse(page, status=429)
    response["Retry-After"] = str(seconds)
    return response
