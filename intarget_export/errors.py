"""Django's error views (``handler400/403/404/500`` in urls.py), JSON under ``/api/``.

DRF's exception handler (api/exceptions.py) answers what goes wrong inside a feed view; these
answer the rest: a path no route matches (``/api/users.json``), a request refused before
any view runs (too many query parameters, a disallowed Host) and anything that escaped a
view. A puller always gets ``{"error": "..."}``; a person elsewhere gets Django's plain
pages. None of them ever shows a traceback, a setting or a secret: these run only with
DEBUG off, and they say no more than the fixed messages below.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from api.exceptions import DATABASE_BUSY, DatabaseBusy, log_database_trouble

API_PREFIX = "/api/"
UNKNOWN_PATH = "no such path; feeds are served at /api/<feed>?from=…&to=…"


def is_api(request: HttpRequest) -> bool:
    return request.path == API_PREFIX.rstrip("/") or request.path.startswith(API_PREFIX)


def json_error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status, headers=headers)
    # Errors are as personal as answers (they may echo a window); never cache them.
    response["Cache-Control"] = "no-store"
    return response


def bad_request_message(exception: Exception | None) -> str:
    # The request itself must not be read again here: request.GET would raise anew.
    if isinstance(exception, TooManyFieldsSent):
        return (
            f"too many query parameters; at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} are accepted"
        )
    if isinstance(exception, RequestDataTooBig):
        return f"request body too large; at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes are accepted"
    if isinstance(exception, DisallowedHost):
        return "this Host is not served here; send one of the service's host names (ALLOWED_HOSTS)"
    return "bad request"


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return json_error(400, bad_request_message(exception))
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return json_error(403, "forbidden")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return json_error(404, UNKNOWN_PATH)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Called while the exception is being handled, so it is still at hand.
    exception = sys.exception()
    if isinstance(exception, DatabaseError):
        # Trouble of the database's own (down, locked, read-only): retry later, on any page.
        log_database_trouble(exception)
        retry_after = str(DatabaseBusy.wait)
        if is_api(request):
            return json_error(503, DATABASE_BUSY, **{"Retry-After": retry_after})
        return HttpResponse(
            "Service unavailable: the database is busy or unreachable; try again shortly.\n",
            status=503, content_type="text/plain; charset=utf-8", headers={"Retry-After": retry_after},
        )
    if is_api(request):
        return json_error(500, "internal error; it has been logged")
    return defaults.server_error(request)
