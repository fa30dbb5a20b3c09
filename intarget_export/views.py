from __future__ import annotations

from typing import Any

from django.http import Http404, StreamingHttpResponse
from rest_framework.request import Request
from rest_framework.views import APIView

from access.limits import hold_until_sent
from intarget_export.feeds import served_feeds
from intarget_export.finality import ensure_final
from intarget_export.renderers import CSVRenderer, FeedContentNegotiation, JSONRenderer
from intarget_export.spooling import needs_spooling, spooled_response
from intarget_export.streaming import feed_body
from intarget_export.window import parse_window

UNKNOWN_FEED = "unknown feed {name!r}; the feeds are: {names}"


class FeedView(APIView):
    """``GET /api/<feed>?from=…&to=…``: the feed's rows in the window, streamed
    (spooled, then sent with its length, for HTTP/1.0: spooling.py)."""

    # CSV first: DRF picks the first renderer when the client states no preference.
    renderer_classes = [CSVRenderer, JSONRenderer]
    content_negotiation_class = FeedContentNegotiation
    http_method_names = ["get", "head"]

    def get(self, request: Request, feed_name: str) -> StreamingHttpResponse:
        feeds = served_feeds()
        feed = feeds.get(feed_name)
        if feed is None:
            raise Http404(UNKNOWN_FEED.format(name=feed_name, names=", ".join(feeds)))
        window = parse_window(request.query_params, optional=feed.window_optional)
        ensure_final(window, feed.tables)
        renderer = request.accepted_renderer
        content_type = f"{renderer.media_type}; charset=utf-8"
        if request.method == "HEAD":
            return StreamingHttpResponse(iter(()), content_type=content_type)
        body = feed_body(feed, window, renderer)
        if needs_spooling(request):
            # HTTP/1.0 has no chunks: only a length makes a cut-off body detectable.
            return spooled_response(body, content_type)
        return StreamingHttpResponse(body, content_type=content_type)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # The key's stream slot (API_MAX_STREAMS) is held until the body has been sent.
        return hold_until_sent(request, super().finalize_response(request, response, *args, **kwargs))

    def handle_exception(self, exc: Exception) -> Any:
        # Errors are answered in JSON even when CSV was negotiated (or negotiation failed).
        json = JSONRenderer()
        self.request.accepted_renderer = json
        self.request.accepted_media_type = json.media_type
        return super().handle_exception(exc)
