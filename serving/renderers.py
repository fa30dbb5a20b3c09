"""CSV and JSON renderers that stream a feed's rows in large chunks.

The API's view lists them CSV first, so CSV is the default (which one answers is
``api/negotiation.py``'s choice); ``export_feed`` takes them by name. ``stream()`` is
what feeds use. Only the JSON renderer has DRF's ``render()``, for the small answers that
are not rows (errors, a push's ``{"rows": N}``): those are JSON whatever was negotiated,
so the CSV renderer needs none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from rest_framework import renderers

from feeds.registry import Column

# Rows are joined into chunks of about this size before being handed to the server:
# one write per row costs more than formatting the row.
CHUNK_SIZE = 64 * 1024


class CSVRenderer(renderers.BaseRenderer):
    """RFC 4180 quoting, comma separated, LF after every record.

    LF rather than CRLF (the spec allows either, the same throughout) because PostgreSQL's
    COPY, the fast path, writes LF; both paths must give the same bytes. PostgreSQL also
    quotes a field holding a lone CR, which Python's csv does only for the characters of
    its line terminator: hence "\r\n" below, turned into "\n" at each record's end.
    """

    media_type = "text/csv"
    format = "csv"

    def stream(self, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        ends: list[int] = []  # where each record of the buffer ends

        def drain() -> bytes:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if text.count("\r") == len(ends):  # no CR inside a field: the usual case
                text = text.replace("\r\n", "\n")
            else:
                starts = [0, *ends[:-1]]
                text = "".join(text[start : end - 2] + "\n" for start, end in zip(starts, ends))
            ends.clear()
            return text.encode()

        writer.writerow([column.name for column in columns])
        ends.append(buffer.tell())
        cells = [column.kind.cell for column in columns]
        for row in rows:
            writer.writerow([cell(value) for cell, value in zip(cells, row)])
            ends.append(buffer.tell())
            if ends[-1] >= CHUNK_SIZE:
                yield drain()
        yield drain()


class JSONRenderer(renderers.JSONRenderer):
    """One array of objects keyed by column name; values typed by their column kind."""

    charset = "utf-8"
    # money=string (feeds/money.py): money columns as JSON strings; set by the API's negotiation
    # (api/negotiation.py) or by export_feed's --money.
    money_as_strings = False

    @staticmethod
    def key(name: str) -> str:
        return encode_basestring(name) + ":"

    def stream(self, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
        keys = [self.key(column.name) for column in columns]
        values = [column.kind.json for column in columns]
        parts: list[str] = []
        size = 0
        separator = "["
        for row in rows:
            text = separator + "{" + ",".join(k + v(x) for k, v, x in zip(keys, values, row)) + "}"
            separator = ",\n"
            parts.append(text)
            size += len(text)
            if size >= CHUNK_SIZE:
                yield "".join(parts).encode()
                parts.clear()
                size = 0
        parts.append("[]" if separator == "[" else "]")
        yield "".join(parts).encode()
