"""API keys through DRF's authentication seam.

A key is accepted as ``Authorization: Bearer <key>``, as the password of HTTP Basic
(any user name), or as ``X-Api-Key: <key>``. No credentials: 401 with a
``WWW-Authenticate`` challenge; a wrong or revoked key: 401 as well.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from intarget_export.models import ApiKey

INVALID_KEY = "invalid or revoked API key"
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
