"""``GET /api/<feed>/digest?from=…&to=…[&step=…]``: the window's digest (assurance.md 14).

The same key, rules and limits as the feed (DRF's authentication, permission and
throttle classes of the settings, as FeedView), the same window and the same finality;
the digest itself is computed by the database (serving/digest.py). The answer is small
JSON, made whole before it is sent, so the key's stream slot is given back at once.

Not in the pull log: a digest sends no rows, and the log's complete 200 entries are
what ``sync_gaps`` and the expected pulls count as windows received (operations.md 8).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.limits import hold_until_sent
from access.rules import seen
from feeds.registry import Feed, registry, served_feeds
from feeds.window import parse_window
from serving.digest import parse_step, window_digest
from serving.finality import ensure_final

UNKNOWN_FEED = "unknown feed {name!r}; the feeds with a digest are: {names}"
NOT_SERVED = "{name} is not served (it is only pushed), so it has no digest; the feeds with a digest are: {names}"


class OnlyJSON(BaseContentNegotiation):
    """A digest is JSON whatever ``Accept`` or ``?format=`` say (a feed's formats do not apply)."""

    def select_renderer(self, request: Any, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type


def served_feed(name: str) -> Feed:
    feeds = served_feeds()
    if name not in feeds:
        message = NOT_SERVED if name in registry() else UNKNOWN_FEED
        raise Http404(message.format(name=name, names=", ".join(feeds)))
    return feeds[name]


class DigestView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = OnlyJSON
    http_method_names = ["get", "head"]

    def get(self, request: Request, feed_name: str) -> Response:
        # A feed about other feeds (deletions) is narrowed to those the key may pull, as served.
        feed = seen(request.auth, served_feed(feed_name))
        window = parse_window(request.query_params, optional=feed.window_optional)
        # Before the wait: a bad step is refused at once.
        step = parse_step(request.query_params, window)
        ensure_final(window, feed.tables)
        return Response(window_digest(feed, window, step).as_json())

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # The key's stream slot (API_MAX_STREAMS), taken by KeyStreamCap, goes back now.
        return hold_until_sent(request, super().finalize_response(request, response, *args, **kwargs))
