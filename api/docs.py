"""``/api/schema`` (the OpenAPI document, openapi.py) and ``/api/docs`` (the page showing it).

Neither needs a key nor counts against one; neither shows row data. The page is Swagger UI
from drf-spectacular-sidecar's static files (served by WhiteNoise), so it loads nothing
from another host.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer

from api.openapi import operation_id
from feeds.registry import served_feeds


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


class SchemaView(OpenDocument, SpectacularAPIView):
    """``GET /api/schema``: JSON only (``application/json`` unless the OpenAPI type is asked)."""

    renderer_classes = [OpenApiJsonRenderer2, OpenApiJsonRenderer]


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
