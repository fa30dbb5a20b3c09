"""The body of a push (``POST /api/<feed>``, operations.md section 10), as a stream.

A push body may be ``PUSH_MAX_BYTES`` (50 MiB by default) long, so it is never read
into memory: neither ``request.body`` (which would hold all of it, and which Django's
DATA_UPLOAD_MAX_MEMORY_SIZE refuses past 2.5 MiB) nor a copy. The parsers hand this
stream to the import's readers, which take it line by line (CSV) or block by block
(JSON) while the rows are written.

- With a ``Content-Length`` above the limit the push is refused (413) before a byte of
  the body is read.
- Without one (``Transfer-Encoding: chunked``) the bytes are counted as they are read,
  and the push is refused (413) once they pass the limit: the import's transaction is
  still open then, so nothing is written. Django and DRF take a request without a
  length for an empty one; gunicorn de-chunks the body itself and says where it ends
  (``wsgi.input_terminated``, as mod_wsgi does), so that is where it is read from. A
  server that does not say so gets 411: reading on would wait for bytes that never come.
- A body that ends before its ``Content-Length`` (the client went away) is refused too,
  never taken for a shorter complete body: a cut CSV is still valid CSV.
"""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.request import Request

from lib.byte_limits import byte_limit

TOO_LARGE = "the push body is larger than {limit} bytes, the most one push may send (PUSH_MAX_BYTES); split it"
LENGTH_REQUIRED = "a push body needs a Content-Length (or chunked transfer through a server that ends it)"
CUT_SHORT = "the push body ended after {got} of its {length} bytes (Content-Length); nothing was written"
BROKEN = "the push body could not be read to its end ({reason}); nothing was written"
# Bytes asked of the server at a time: the readers' own buffer holds one such block.
READ_BYTES = 2**16


def push_max_bytes() -> int:
    """PUSH_MAX_BYTES, checked (``ApiConfig.ready`` calls it, so a bad value stops the service)."""
    return byte_limit("PUSH_MAX_BYTES")


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "body_too_large"


class LengthRequired(exceptions.APIException):
    status_code = 411
    default_code = "length_required"


class BodyBroken(exceptions.APIException):
    """The body could not be read to its end; answered 400 (the client is likely gone)."""

    status_code = 400
    default_code = "body_broken"


class _CappedBody(io.RawIOBase):
    """The body's bytes, at most ``limit`` of them; ``length`` when the request gave one.

    Raw, so that ``io.BufferedReader`` supplies whatever reading the readers do (lines,
    blocks) in C, over reads of READ_BYTES from the server.
    """

    def __init__(self, source: Any, length: int | None, limit: int):
        self.source, self.length, self.limit = source, length, limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = len(buffer)
        if self.length is not None:
            want = min(want, self.length - self.count)
            if want <= 0:
                return 0
        else:
            # One byte past the limit is enough to know it is passed.
            want = min(want, self.limit + 1 - self.count)
        try:
            data = self.source.read(want)
        except Exception as error:  # the server's own errors: a chunk cut mid-way, a reset
            raise BodyBroken(BROKEN.format(reason=type(error).__name__)) from None
        if not data:
            if self.length is not None and self.count < self.length:
                raise BodyBroken(CUT_SHORT.format(got=self.count, length=self.length))
            return 0
        self.count += len(data)
        if self.count > self.limit:
            raise BodyTooLarge(TOO_LARGE.format(limit=self.limit))
        buffer[: len(data)] = data
        return len(data)


def body_stream(request: HttpRequest) -> io.BufferedReader:
    """The request's body as a binary stream, refused (413, 411) as the module says."""
    limit = push_max_bytes()
    meta = request.META
    length_text = meta.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not length_text:
        if not meta.get("wsgi.input_terminated"):
            raise LengthRequired(LENGTH_REQUIRED)
        source, length = meta["wsgi.input"], None
    else:
        try:
            length = int(length_text or 0)
        except ValueError:
            length = -1
        if length < 0:
            raise exceptions.ParseError("Content-Length must be a whole number of bytes")
        if length > limit:
            raise BodyTooLarge(TOO_LARGE.format(limit=limit))
        # The request itself is a file (bounded by its length); reading it marks the body
        # as read, so that nothing reads it a second time.
        source = request
    return io.BufferedReader(_CappedBody(source, length, limit), READ_BYTES)


class PushRequest(Request):
    """DRF's request, whose parsers get the whole body as ``body_stream`` gives it, length
    or not (DRF would give them nothing without a Content-Length)."""

    body: io.BufferedReader | None = None

    def _load_stream(self) -> None:
        if self._request.method != "POST":
            super()._load_stream()
            return
        self._stream = self.body = body_stream(self._request)

    @property
    def pushed_bytes(self) -> int:
        """The body's bytes read so far (0 when it was never opened)."""
        return self.body.raw.count if self.body is not None else 0  # type: ignore[attr-defined]
