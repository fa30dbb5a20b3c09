"""``/api/schema`` (the OpenAPI document, openapi.py) and ``/api/docs`` (the page showing it).

Neither needs a key nor counts against one; neither shows row data. The page is Swagger UI
from drf-spectacular-sidecar's static files (served by WhiteNoise), so it loads nothing
from another host.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from intarget_export.feeds import served_feeds
from intarget_export.openapi import operation_id


class SchemaView(SpectacularAPIView):
    """``GET /api/schema``: JSON only (``application/json`` unless the OpenAPI type is asked)."""

    renderer_classes = [OpenApiJsonRenderer2, OpenApiJsonRenderer]
    authentication_classes: list = []
    throttle_classes: list = []


class DocsView(SpectacularSwaggerView):
    """``GET /api/docs``: Swagger UI from drf-spectacular-sidecar's static files, no other host."""

    template_name = "intarget_export/api_docs.html"
    authentication_classes: list = []
    throttle_classes: list = []
    url_name = "schema"

    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().get(request, *args, **kwargs)
        response.data["feeds"] = [
            {"name": name, "anchor": operation_id(feed)} for name, feed in served_feeds().items()
        ]
        return response
