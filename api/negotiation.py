"""Which format a feed answer is written in, and which parser reads a push: one class.

DRF asks its content negotiation both questions (``select_renderer`` before the view
runs, ``select_parser`` when a push's body is first read), so every rule lives here:

Answers (``select_renderer``):

- A push (``POST``) is answered in JSON whatever ``Accept`` says: ``{"rows": N}`` has
  no CSV form.
- ``?format=csv|json`` forces its renderer, whatever ``Accept`` says (DRF would answer
  406 when they disagree). An unknown value is a 400 naming the parameter (DRF's is a
  404); an empty one counts as absent.
- Otherwise ``Accept`` decides, as DRF does: the view lists CSV first, so CSV when the
  client states no preference, and 406 when it accepts neither.
- ``?money=`` (feeds/money.py) is read here too, whatever the format (CSV accepts it and
  writes the same bytes), so that an unknown value is refused by name before any row is
  read; ``money=string`` sets the JSON renderer's ``money_as_strings``.
- An error answer is JSON whatever was negotiated, or when negotiation itself failed
  (``error_renderer``; the view's ``handle_exception`` asks for it).

Pushes (``select_parser``): ``text/csv`` or ``application/json`` (parsers.py), in UTF-8,
the only encoding the readers take (they would refuse every non-ASCII byte of a Latin-1
body one by one). Any other type, no type, or another charset is a 415 naming what a push
may be.
"""

from __future__ import annotations

from typing import Any

from django.utils.http import parse_header_parameters
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from feeds.money import STRING, parse_money
from serving.renderers import JSONRenderer

EXPECTED = "a push body is text/csv (a header line, then rows) or application/json (an array of objects), in UTF-8"
UNSUPPORTED = "unsupported Content-Type {media_type!r}; " + EXPECTED
NO_TYPE = "the push has no Content-Type; " + EXPECTED
NOT_UTF8 = "unsupported charset {charset!r} in Content-Type; " + EXPECTED
UNKNOWN_FORMAT = "format must be csv or json; got {value!r}"


class FeedNegotiation(DefaultContentNegotiation):
    """The feed view's ``content_negotiation_class`` (see the module's docstring)."""

    def select_renderer(self, request: Any, renderers: list, format_suffix: str | None = None) -> tuple:
        if request.method == "POST":
            renderer = _json(renderers)
            return renderer, renderer.media_type
        money = parse_money(request.query_params)
        renderer, media_type = self._pull_renderer(request, renderers, format_suffix)
        if isinstance(renderer, JSONRenderer):
            renderer.money_as_strings = money == STRING
        return renderer, media_type

    def _pull_renderer(self, request: Any, renderers: list, format_suffix: str | None) -> tuple:
        # Only the query parameter: the feeds' route takes no format suffix (``.json``,
        # intarget_export/urls.py), so DRF's ``format_suffix`` is always None here.
        forced = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if not forced:
            return super().select_renderer(request, renderers, format_suffix)  # Accept; 406
        matching = [renderer for renderer in renderers if renderer.format == forced.lower()]
        if not matching:
            raise exceptions.ValidationError(
                {self.settings.URL_FORMAT_OVERRIDE: [UNKNOWN_FORMAT.format(value=forced.lower())]}
            )
        return matching[0], matching[0].media_type

    @staticmethod
    def error_renderer() -> tuple[BaseRenderer, str]:
        """The renderer of every error answer, and its media type."""
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def select_parser(self, request: Any, parsers: list) -> BaseParser:
        media_type = request.content_type or ""
        parser = super().select_parser(request, parsers)
        if parser is None:
            detail = UNSUPPORTED.format(media_type=media_type) if media_type else NO_TYPE
            raise exceptions.UnsupportedMediaType(media_type, detail=detail)
        _, params = parse_header_parameters(media_type)
        charset = params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise exceptions.UnsupportedMediaType(media_type, detail=NOT_UTF8.format(charset=charset))
        return parser


def _json(renderers: list) -> BaseRenderer:
    return next(renderer for renderer in renderers if isinstance(renderer, JSONRenderer))
