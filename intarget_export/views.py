from __future__ import annotations

import time
from typing import Any

from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.views import APIView

from access.clients import client_address
from access.limits import hold_until_sent
from access.models import ApiKey
from intarget_export import compression
from intarget_export.answer_end import report_when_sent
from intarget_export.feeds import served_feeds
from intarget_export.finality import ensure_final
from intarget_export.renderers import CSVRenderer, FeedContentNegotiation, JSONRenderer
from intarget_export.spooling import needs_spooling, spooled_response
from intarget_export.streaming import feed_body
from intarget_export.tally import Tally
from intarget_export.window import parse_window

UNKNOWN_FEED = "unknown feed {name!r}; the feeds are: {names}"


class FeedView(APIView):
    """``GET /api/<feed>?from=…&to=…``: the feed's rows in the window, streamed
    (spooled, then sent with its length, for HTTP/1.0: spooling.py)."""

    # CSV first: DRF picks the first renderer when the client states no preference.
    renderer_classes = [CSVRenderer, JSONRenderer]
    content_negotiation_class = FeedContentNegotiation
    http_method_names = ["get", "head"]

    # What the pull log records of this request, besides its answer (finalize_response).
    started: tuple = ()
    served_format = ""
    key: ApiKey | None = None
    window = None
    tally: Tally | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.started = (timezone.now(), time.monotonic())
        super().initial(request, *args, **kwargs)

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        # Kept here: reading request.auth later would authenticate again when this step
        # never ran or failed (content negotiation comes first), querying the database
        # from inside the error answer.
        self.key = request.auth if isinstance(request.auth, ApiKey) else None

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        renderer, media_type = super().perform_content_negotiation(request, force)
        self.served_format = self.served_format or renderer.format
        return renderer, media_type

    def get(self, request: Request, feed_name: str) -> StreamingHttpResponse:
        feeds = served_feeds()
        feed = feeds.get(feed_name)
        if feed is None:
            raise Http404(UNKNOWN_FEED.format(name=feed_name, names=", ".join(feeds)))
        window = self.window = parse_window(request.query_params, optional=feed.window_optional)
        ensure_final(window, feed.tables)
        renderer = request.accepted_renderer
        content_type = f"{renderer.media_type}; charset=utf-8"
        if request.method == "HEAD":
            return StreamingHttpResponse(iter(()), content_type=content_type)
        self.tally = Tally()
        body = compression.encoded(request, feed_body(feed, window, renderer, self.tally))
        if needs_spooling(request):
            # HTTP/1.0 has no chunks: only a length makes a cut-off body detectable.
            return spooled_response(body, content_type)
        return StreamingHttpResponse(body, content_type=content_type)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = compression.label(request, super().finalize_response(request, response, *args, **kwargs))
        # The pull log (keyed answers) and the metrics (every answer) hear of it.
        report_when_sent(
            response,
            key=self.key,
            feed=self.kwargs.get("feed_name", ""),
            client=client_address(request),
            format=self.served_format,
            started=self.started,
            window=self.window,
            tally=self.tally,
            method=request.method,
        )
        # The key's stream slot (API_MAX_STREAMS) is held until the body has been sent.
        return hold_until_sent(request, response)

    def handle_exception(self, exc: Exception) -> Any:
        # An error answer sends no rows, even if some were read (a spooled answer whose
        # database failed midway).
        self.tally = None
        # Errors are answered in JSON even when CSV was negotiated (or negotiation failed).
        json = JSONRenderer()
        self.request.accepted_renderer = json
        self.request.accepted_media_type = json.media_type
        return super().handle_exception(exc)
