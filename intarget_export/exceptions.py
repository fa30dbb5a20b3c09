"""One exception handler: every error is a small JSON object, whatever was negotiated.

``{"error": "<what is wrong and what is expected>", "param": "<query parameter>"}``;
``param`` only when one parameter is at fault. Status and headers (``WWW-Authenticate``,
``Retry-After``) are DRF's.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


def first_message(detail: Any) -> str:
    while isinstance(detail, (list, tuple)) and detail:
        detail = detail[0]
    if isinstance(detail, dict):
        return first_message(next(iter(detail.values()), ""))
    return str(detail)


def feed_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "not found")
    response = exception_handler(exc, context)
    if response is None:
        return None
    body: dict[str, str] = {}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict) and exc.detail:
        param, messages = next(iter(exc.detail.items()))
        body = {"error": first_message(messages), "param": str(param)}
    else:
        body = {"error": first_message(response.data.get("detail", response.data))}
    response.data = body
    return response
