from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, StreamingHttpResponse
from rest_framework.exceptions import MethodNotAllowed, UnsupportedMediaType
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.limits import hold_until_sent
from access.models import ApiKey
from access.rules import seen
from api import compression
from api.answer_end import report_when_sent
from api.negotiation import EXPECTED, FeedNegotiation
from api.parsers import CSVPushParser, JSONPushParser, PushBody
from api.push_body import PushRequest
from api.push_end import report_push_when_sent
from api.pushing import push_rows
from api.request_state import RequestState
from api.spooling import needs_spooling, spooled_response
from feeds.registry import registry, served_feeds
from feeds.window import parse_window
from serving.finality import ensure_final
from serving.renderers import CSVRenderer, JSONRenderer
from serving.streaming import feed_body
from serving.tally import Tally

UNKNOWN_FEED = "unknown feed {name!r}; the feeds are: {names}"
NOT_SERVED = "{name} is not served: it is only pushed (POST); the feeds are: {names}"


class FeedView(APIView):
    """``GET /api/<feed>?from=…&to=…``: the feed's rows in the window, streamed
    (spooled, then sent with its length, for HTTP/1.0: spooling.py).
    ``POST /api/<feed>``: a push of rows (pushing.py)."""

    # CSV first: the first renderer answers when the client states no preference (negotiation.py).
    renderer_classes = [CSVRenderer, JSONRenderer]
    parser_classes = [CSVPushParser, JSONPushParser]
    content_negotiation_class = FeedNegotiation
    http_method_names = ["get", "head", "post"]

    # What the view learns of this request, for the end of its answer (request_state.py).
    state: RequestState

    @property
    def allowed_methods(self) -> list[str]:
        """The ``Allow`` header: what this feed answers (games cannot be pushed,
        game-actions cannot be pulled)."""
        feed = registry().get(self.kwargs.get("feed_name", "")) if hasattr(self, "kwargs") else None
        methods = []
        if feed is None or feed.served:
            methods += ["GET", "HEAD"]
        if feed is None or feed.importable:
            methods.append("POST")
        return methods

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        # Django's per-request set-up, before DRF's dispatch: the one place the state is made.
        super().setup(request, *args, **kwargs)
        self.state = RequestState.begin(request, feed=kwargs.get("feed_name", ""))

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # DRF's, but for the request's class: a push body is read as a stream, with or
        # without a length (push_body.py).
        return PushRequest(
            request,
            parsers=self.get_parsers(),
            authenticators=self.get_authenticators(),
            negotiator=self.get_content_negotiator(),
            parser_context=self.get_parser_context(request),
        )

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        # Kept here: reading request.auth later would authenticate again when this step
        # never ran or failed (content negotiation comes first), querying the database
        # from inside the error answer.
        self.state.key = request.auth if isinstance(request.auth, ApiKey) else None

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        renderer, media_type = super().perform_content_negotiation(request, force)
        # The first negotiation's format: DRF negotiates again (forced to the first
        # renderer) only for an answer left without one.
        self.state.format = self.state.format or renderer.format
        return renderer, media_type

    def get(self, request: Request, feed_name: str) -> StreamingHttpResponse:
        feeds = served_feeds()
        feed = feeds.get(feed_name)
        if feed is None and feed_name in registry():
            # game-actions: a push target (POST), never served.
            raise MethodNotAllowed(request.method, detail=NOT_SERVED.format(name=feed_name, names=", ".join(feeds)))
        if feed is None:
            raise Http404(UNKNOWN_FEED.format(name=feed_name, names=", ".join(feeds)))
        window = self.state.window = parse_window(request.query_params, optional=feed.window_optional)
        ensure_final(window, feed.tables)
        # The deletions of the feeds this key opens, not of the others.
        feed = seen(request.auth, feed)
        renderer = request.accepted_renderer
        content_type = f"{renderer.media_type}; charset=utf-8"
        if request.method == "HEAD":
            return StreamingHttpResponse(iter(()), content_type=content_type)
        tally = self.state.tally = Tally()
        body = compression.encoded(request, feed_body(feed, window, renderer, tally))
        if needs_spooling(request):
            # HTTP/1.0 has no chunks: only a length makes a cut-off body detectable.
            return spooled_response(body, content_type)
        return StreamingHttpResponse(body, content_type=content_type)

    def post(self, request: Request, feed_name: str) -> Response:
        feed = registry().get(feed_name)
        if feed is None:
            pushable = [name for name, feed in registry().items() if feed.importable]
            raise Http404(UNKNOWN_FEED.format(name=feed_name, names=", ".join(pushable)))
        if not feed.importable:
            raise MethodNotAllowed("POST", detail=f"{feed_name} cannot be pushed; it is only pulled (GET)")
        body = request.data  # the body unread: the parsers only pick its format
        if not isinstance(body, PushBody):  # no parser of ours took it
            raise UnsupportedMediaType(request.content_type, detail=EXPECTED)
        rows = self.state.pushed_rows = push_rows(feed, body)
        return Response({"rows": rows})

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # A push answer is never compressed (label only adds Vary to it).
        response = compression.label(request, super().finalize_response(request, response, *args, **kwargs))
        if request.method == "POST":
            # Not a pull: no window was received, so not in the pull log (push_end.py).
            self.state.pushed_bytes = getattr(request, "pushed_bytes", 0)
            report_push_when_sent(response, self.state)
            return hold_until_sent(request, response)
        # The pull log (keyed answers) and the metrics (every answer) hear of it.
        report_when_sent(response, self.state)
        # The key's stream slot (API_MAX_STREAMS) is held until the body has been sent.
        return hold_until_sent(request, response)

    def handle_exception(self, exc: Exception) -> Any:
        # An error answer sends no rows, even if some were read (a spooled answer whose
        # database failed midway).
        self.state.tally = None
        # Errors are answered in JSON even when CSV was negotiated (or negotiation failed).
        self.request.accepted_renderer, self.request.accepted_media_type = FeedNegotiation.error_renderer()
        return super().handle_exception(exc)
