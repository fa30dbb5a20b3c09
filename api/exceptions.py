"""One exception handler: every error is a small JSON object, whatever was negotiated.

``{"error": "<what is wrong and what is expected>", "param": "<query parameter>"}``;
``param`` only when one parameter is at fault. Status and headers (``WWW-Authenticate``,
``Retry-After``) are DRF's.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import psycopg
from django.db import DatabaseError, connections
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from lib.error_detail import first_message

logger = logging.getLogger(__name__)


DATABASE_BUSY = "the database is busy or unreachable; ask again shortly"


class DatabaseBusy(exceptions.APIException):
    status_code = 503
    default_code = "database_busy"
    wait = 5


# What a failing database raises: Django's wrapper, or the driver's own error where code
# works on the driver's cursor (the imports' COPY and executemany).
DATABASE_ERRORS = (DatabaseError, psycopg.Error, sqlite3.Error)


def log_database_trouble(exc: Exception) -> None:
    """One warning line naming the failure, never the credentials.

    psycopg and sqlite3 messages name host, port, database and user but not the password;
    the configured password is masked anyway, in case a driver ever echoes its conninfo.
    """
    message = str(exc)
    password = connections["default"].settings_dict.get("PASSWORD")
    if password:
        message = message.replace(str(password), "********")
    logger.warning("request failed on the database (%s): %s", type(exc).__name__, message)


def feed_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "not found")
    if isinstance(exc, DATABASE_ERRORS):
        # Locked, unreachable, read-only or otherwise failing database (the feeds only read;
        # a write that fails is the bookkeeping's, e.g. a key's last use): the puller should
        # retry, not store an error.
        log_database_trouble(exc)
        exc = DatabaseBusy(DATABASE_BUSY)
    response = exception_handler(exc, context)
    if response is None:
        return None
    body: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict) and exc.detail:
        param, messages = next(iter(exc.detail.items()))
        body = {"error": first_message(messages), "param": str(param)}
    else:
        body = {"error": first_message(response.data.get("detail", response.data))}
    # Where a refusal has more to say than one message (a push's line and column: pushing.py).
    body.update(getattr(exc, "fields", None) or {})
    response.data = body
    return response
