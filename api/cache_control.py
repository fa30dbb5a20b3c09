"""``Cache-Control: no-store`` on every answer under ``/api/``.

Feed answers carry players' personal and financial data, and an error answer may be
about to change (a 503 asks to come back shortly). Nothing under ``/api/`` may be kept by
a browser, a proxy or a CDN in front of the service. A middleware rather than the view,
so that answers made before or outside the view (unknown paths, refused requests) get
the header too.

One exception: the OpenAPI document holds no row data and carries an ``ETag``, so it
may be stored but is revalidated on every use (``no-cache``): a client asks with
``If-None-Match`` and gets a ``304`` while the feeds' columns are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

API_PREFIX = "/api/"
REVALIDATED = {"/api/schema", "/api/schema/"}


class NoStoreForApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path_info.startswith(API_PREFIX) or request.path_info == API_PREFIX.rstrip("/"):
            response["Cache-Control"] = "no-cache" if request.path_info in REVALIDATED else "no-store"
        return response
