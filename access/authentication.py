"""API keys through DRF's authentication seam, and their rules through its permission seam.

A key is accepted as ``Authorization: Bearer <key>``, as the password of HTTP Basic
(any user name), or as ``X-Api-Key: <key>``. No credentials: 401 with a
``WWW-Authenticate`` challenge; a wrong, revoked or expired key: 401 as well, with the
same words, so that an expired key tells a caller nothing a wrong one would not.
A known key whose rules refuse the request: 403 naming the rule (``rules.py``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from access.clients import client_address
from access.models import ApiKey, Direction
from access.rules import refusal
from feeds.registry import registry

INVALID_KEY = "invalid, revoked or expired API key"
MALFORMED_BASIC = "malformed Basic credentials: expected base64 of user:key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[ApiKey, ApiKey] | None:
        key = self.offered_key(request)
        if key is None:
            return None
        api_key = ApiKey.objects.for_key(key)
        if api_key is None:
            raise exceptions.AuthenticationFailed(INVALID_KEY)
        api_key.touch()
        # DRF's (user, auth) pair: the key stands for the caller in both places.
        return api_key, api_key

    def offered_key(self, request: Request) -> str | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, credentials = header.partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer" and credentials:
            return credentials
        if scheme.lower() == "basic" and credentials:
            try:
                decoded = base64.b64decode(credentials, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise exceptions.AuthenticationFailed(MALFORMED_BASIC) from None
            _, separator, password = decoded.partition(":")
            if not separator:
                raise exceptions.AuthenticationFailed(MALFORMED_BASIC)
            return password
        return request.META.get("HTTP_X_API_KEY", "").strip() or None

    def authenticate_header(self, request: Request) -> str:
        # Without a challenge DRF would turn 401 into 403.
        return 'Bearer realm="intarget-export"'


class HasApiKey(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiKey)


# What each method is; any other (PUT, DELETE, OPTIONS…) is neither, and answers 405
# whatever the key's direction.
DIRECTIONS = {"GET": Direction.PULL, "HEAD": Direction.PULL, "POST": Direction.PUSH}


class KeyRulesAllow(permissions.BasePermission):
    """The key's address, direction and feed rules. Reading a feed is a pull; writing
    to one (POST) is a push. The view names the feed in its ``feed_name`` argument."""

    message = "refused by the key's rules"

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return False
        reason = refusal(
            key,
            address=client_address(request),
            direction=DIRECTIONS.get(request.method),
            # An unknown feed is the view's 404, whatever the key's feed rule.
            feed=view.kwargs.get("feed_name") if view.kwargs.get("feed_name") in registry() else None,
        )
        if reason is not None:
            # DRF instantiates permissions per request: the message is this request's.
            self.message = reason
            return False
        return True
