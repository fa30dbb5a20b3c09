"""DRF parsers of a push body (``POST /api/<feed>``): ``text/csv`` and ``application/json``.

They parse nothing themselves: each hands the body's stream (push_body.py), unread, to
the push service with the format its media type names, and the service reads it
through ``import_stream``, the one path ``import_feed`` takes too. So a push and a file
are read and validated alike, and a 50 MiB body is read as the rows are written.

Which of them reads a body, and what is refused (415: another type, no type, a charset
other than UTF-8), is the content negotiation's to say (negotiation.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

from rest_framework.parsers import BaseParser


@dataclass(frozen=True)
class PushBody:
    """What a push parser gives the view: the body, unread, and how to read it."""

    format: str  # "csv" or "json", as import_stream takes it
    stream: BinaryIO


class PushParser(BaseParser):
    format = ""

    def parse(self, stream: BinaryIO, media_type: str | None = None, parser_context: Any = None) -> PushBody:
        return PushBody(self.format, stream)


class CSVPushParser(PushParser):
    media_type = "text/csv"
    format = "csv"


class JSONPushParser(PushParser):
    media_type = "application/json"
    format = "json"
