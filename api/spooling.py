"""Answers for HTTP/1.0: the whole body first, on disk, then sent with ``Content-Length``.

An HTTP/1.1 answer is streamed in chunks, and a stream cut mid-way lacks its terminating
chunk: every client sees the error. HTTP/1.0 has no chunks; a body without a length ends
when the connection closes, so a stream whose database dies mid-way would look complete.
nginx's default ``proxy_pass`` talks HTTP/1.0 to its upstream and then re-frames that
short body as a clean answer (docs: /work/shared/spec/truncation.md, ``deploy/README.md``).

So an HTTP/1.0 request gets its body spooled to an anonymous temporary file first:

- a database failure while spooling happens before the first byte is sent, and the
  request ends as the exception handler's 503 JSON with ``Retry-After``;
- the answer then carries ``Content-Length``; a worker killed while sending leaves a
  short body that every client (and nginx) reports as an error.

The file is never in the process's memory: it is written and sent in chunks. Not with
gunicorn's ``sendfile``: the body goes through the counter of ``answer_end.py``, so that
the pull log knows whether it was sent to its end. It has no name on disk (``TemporaryFile`` unlinks it at once), so its
space is freed when the answer is closed, on error, and even when the worker is killed.
It lives in ``TMPDIR`` (``tempfile.gettempdir()``), which needs room for the largest window.

A spool is bounded: past ``SPOOL_MAX_BYTES`` (2 GiB by default), or when ``TMPDIR`` is
full, spooling stops, the file is dropped, the window's query is ended, and the answer is
a JSON 507 that says to ask over HTTP/1.1 (streamed, no spool) or for a smaller window.
"""

from __future__ import annotations

import errno
import tempfile
from collections.abc import Iterable

from django.db import connection
from django.http import FileResponse, HttpRequest
from rest_framework.exceptions import APIException

from lib.byte_limits import byte_limit
from serving.renderers import CHUNK_SIZE

# HTTP versions whose answers are framed by the connection's close alone.
UNFRAMED = ("HTTP/1.0", "HTTP/0.9")

TOO_LARGE = (
    "the answer is larger than {limit} bytes, the most this service spools for an HTTP/1.0 "
    "client (SPOOL_MAX_BYTES); ask over HTTP/1.1, which streams it, or for a smaller window"
)
NO_ROOM = (
    "there is no room left to spool the answer for an HTTP/1.0 client; ask over HTTP/1.1, "
    "which streams it, or for a smaller window"
)


class SpoolRefused(APIException):
    """The answer could not be spooled whole: 507, nothing of it sent."""

    status_code = 507
    default_code = "spool_limit"


def spool_max_bytes() -> int:
    """SPOOL_MAX_BYTES, checked (``ApiConfig.ready`` calls it, so a bad value stops the service)."""
    return byte_limit("SPOOL_MAX_BYTES")


def needs_spooling(request: HttpRequest) -> bool:
    """True when the answer would have no framing of its own on its way to the client.

    That is when gunicorn is asked in HTTP/1.0 (by a client, or by a proxy that talks
    HTTP/1.0 upstream, as nginx does by default), or when the shipped nginx says that
    its own client talks HTTP/1.0 (``X-Forwarded-HTTP-Version``, deploy/nginx.conf):
    nginx then gets a chunked stream but can pass it on only as a body ended by a close.
    The header needs no trust: it can only make an answer carry its length.
    """
    return (
        request.META.get("SERVER_PROTOCOL", "HTTP/1.1") in UNFRAMED
        or request.META.get("HTTP_X_FORWARDED_HTTP_VERSION", "").strip().upper() in UNFRAMED
    )


def spooled_response(chunks: Iterable[bytes], content_type: str) -> FileResponse:
    """Write every chunk to a temporary file, then answer it with its length.

    Database errors raised while spooling (psycopg's own, from COPY) are translated into
    Django's, so that the project's exception handler answers them as it does any other.
    """
    limit = spool_max_bytes()
    spool = tempfile.TemporaryFile(prefix="intarget-spool-")
    try:
        size = 0
        with connection.wrap_database_errors:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise SpoolRefused(TOO_LARGE.format(limit=limit))
                try:
                    spool.write(chunk)
                except OSError as error:
                    if error.errno not in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                        raise
                    raise SpoolRefused(NO_ROOM) from None
        spool.seek(0)
    except BaseException:
        # The window's query ends now (its generator closed), and the file's space is freed.
        getattr(chunks, "close", lambda: None)()
        spool.close()
        raise
    response = FileResponse(spool, content_type=content_type)
    # The size of each chunk read from the file and sent.
    response.block_size = CHUNK_SIZE
    return response
