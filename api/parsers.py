"""DRF parsers of a push body (``POST /api/<feed>``): ``text/csv`` and ``application/json``.

They parse nothing themselves: each hands the body's stream (push_body.py), unread, to
the push service with the format its media type names, and the service reads it
through ``import_stream``, the one path ``import_feed`` takes too. So a push and a file
are read and validated alike, and a 50 MiB body is read as the rows are written.

Any other media type is DRF's 415; so is a charset other than UTF-8, the only encoding
the readers take (they would refuse every non-ASCII byte of a Latin-1 body one by one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

from django.utils.http import parse_header_parameters
from rest_framework import exceptions
from rest_framework.parsers import BaseParser

from serving.renderers import FeedContentNegotiation, JSONRenderer

EXPECTED = "a push body is text/csv (a header line, then rows) or application/json (an array of objects), in UTF-8"
UNSUPPORTED = "unsupported Content-Type {media_type!r}; " + EXPECTED
NO_TYPE = "the push has no Content-Type; " + EXPECTED
NOT_UTF8 = "unsupported charset {charset!r} in Content-Type; " + EXPECTED


@dataclass(frozen=True)
class PushBody:
    """What a push parser gives the view: the body, unread, and how to read it."""

    format: str  # "csv" or "json", as import_stream takes it
    stream: BinaryIO


class PushParser(BaseParser):
    format = ""

    def parse(self, stream: BinaryIO, media_type: str | None = None, parser_context: Any = None) -> PushBody:
        _, params = parse_header_parameters(media_type or "")
        charset = params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise exceptions.UnsupportedMediaType(media_type, detail=NOT_UTF8.format(charset=charset))
        return PushBody(self.format, stream)


class CSVPushParser(PushParser):
    media_type = "text/csv"
    format = "csv"


class JSONPushParser(PushParser):
    media_type = "application/json"
    format = "json"


class FeedNegotiation(FeedContentNegotiation):
    """The feeds' negotiation, plus a push's: its answer is JSON whatever ``Accept`` says
    (``{"rows": N}`` has no CSV form), and a body of another type is a 415 naming the two
    it may be."""

    def select_renderer(self, request: Any, renderers: list, format_suffix: str | None = None) -> tuple:
        if request.method == "POST":
            renderer = next(r for r in renderers if isinstance(r, JSONRenderer))
            return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)

    def select_parser(self, request: Any, parsers: list) -> BaseParser:
        parser = super().select_parser(request, parsers)
        if parser is None:
            media_type = request.content_type or ""
            detail = UNSUPPORTED.format(media_type=media_type) if media_type else NO_TYPE
            raise exceptions.UnsupportedMediaType(media_type, detail=detail)
        return parser
