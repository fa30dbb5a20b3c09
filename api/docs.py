"""``/api/schema`` (the OpenAPI document, api/openapi.py) and ``/api/docs`` (the page showing it).

Neither needs a key nor counts against one; neither shows row data. The page is Swagger UI
from drf-spectacular-sidecar's static files (served by WhiteNoise), so it loads nothing
from another host.

The document is built once per process and columns (about 60 ms of CPU and 272 KB, on a
path anyone may ask for without a key): again only when a feed's columns change (a custom
field defined), answered with an ``ETag`` and a ``304`` to a matching ``If-None-Match``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from django.utils.cache import get_conditional_response, patch_vary_headers

from api.openapi import operation_id
from feeds.registry import registry, served_feeds


class OpenDocument:
    """No key, no limit, GET and HEAD only (DRF's OPTIONS would describe the view itself),
    and errors in JSON, as everywhere under /api/ (exceptions.py shapes them)."""

    authentication_classes: list = []
    throttle_classes: list = []
    http_method_names = ["get", "head"]

    def handle_exception(self, exc: Exception) -> Any:
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)  # type: ignore[misc]


class AlwaysThePage(BaseContentNegotiation):
    """The docs page is one HTML page, whatever ``Accept`` or ``?format=`` say."""

    def select_renderer(self, request: Any, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type


def columns_version() -> str:
    """What the document depends on that can change while the process runs: every feed's
    columns, custom fields included (one query)."""
    columns = [(feed.name, [(c.name, repr(c.kind), c.required) for c in feed.all_columns()]) for feed in registry().values()]
    return json.dumps(columns)


class BuiltDocument:
    """The last document built, with its ETag, and the columns it was built for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: tuple[str, dict, str] | None = None

    def get(self, version: str, build: Any) -> tuple[dict, str]:
        with self._lock:  # one build at a time: concurrent first requests wait for it
            if self._built is None or self._built[0] != version:
                schema = build()
                digest = hashlib.sha256(json.dumps(schema, sort_keys=True, default=str).encode()).hexdigest()
                self._built = (version, schema, f'"{digest[:32]}"')
            return self._built[1], self._built[2]


DOCUMENT = BuiltDocument()


class SchemaView(OpenDocument, SpectacularAPIView):
    """``GET /api/schema``: JSON only (``application/json`` unless the OpenAPI type is asked)."""

    renderer_classes = [OpenApiJsonRenderer2, OpenApiJsonRenderer]

    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        schema, etag = DOCUMENT.get(columns_version(), lambda: self._build(request))
        response = get_conditional_response(request, etag=etag) or Response(
            schema, headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, None)}"'}
        )
        response["ETag"] = etag
        # The same bytes under either media type; a cache keeps each answer by its Accept.
        patch_vary_headers(response, ["Accept"])
        return response

    def _build(self, request: Any) -> dict:
        # SpectacularAPIView.get builds the document from the request's URL configuration;
        # the document is public (no key), so one request's build serves every other.
        return super().get(request).data


class DocsView(OpenDocument, SpectacularSwaggerView):
    """``GET /api/docs``: Swagger UI from drf-spectacular-sidecar's static files, no other host."""

    template_name = "api/docs.html"
    content_negotiation_class = AlwaysThePage
    url_name = "schema"

    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().get(request, *args, **kwargs)
        response.data["feeds"] = [
            {"name": name, "anchor": operation_id(feed)} for name, feed in served_feeds().items()
        ]
        return response
