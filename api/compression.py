"""Compressed feed answers (operations.md section 12): gzip, and zstd when preferred.

The view wraps a feed answer's body in ``encoded`` and labels the answer with
``label``; nothing else knows about compression. A 200 body is compressed as it
streams, chunk by chunk, so memory stays flat and the answer still starts at once:
the first chunk (the CSV header line, or JSON's ``[``) is flushed through, so that a
failure later breaks a started transfer exactly as an uncompressed answer does. An
HTTP/1.0 answer is compressed before it is spooled (spooling.py): its
``Content-Length`` is the compressed length.

**A cut answer never looks complete.** The compressor writes its end (the gzip trailer
with its CRC-32 and length, the zstd frame's end and checksum) only after the inner body
ended normally. If the body fails mid-way the exception goes on up, as it does
uncompressed: gunicorn leaves the chunked stream unterminated, and a decompressor also
reports truncated input.

**Choice of coding** (``negotiate``), from ``Accept-Encoding`` (RFC 9110 section 12.5.3):
no header, or an empty one, means no compression; ``q=0`` refuses a coding; the highest
q wins; ``zstd`` wins a tie with ``gzip`` and is only chosen when named (a client that
says ``*`` may be older than zstd; ``*`` stands for gzip and identity); a compressed
coding wins a tie with ``identity``; ``x-gzip`` is ``gzip``. When nothing acceptable is
left (``gzip;q=0``, even ``identity;q=0``), the answer is uncompressed rather than a 406:
a puller that cannot decode gzip still gets its rows. A malformed entry (``gzip;q=x``)
is ignored: a header of the client's HTTP library is no reason to refuse a pull.

**Speed.** gzip is ISA-L's igzip (python-isal) at level 1: on a million-row CSV window
(183 MB) it compresses about three times as fast as the stdlib's zlib at level 1, with a
better ratio, and the gzip answer takes about the time of the plain one, 7-8× smaller
(bench/compression.py, bench/README.md). So it runs serially in the request's thread: the
database's formatting, not the compression, sets the pace. zstd is the reference library
(zstandard) at level 1, with its checksum.

Error answers (JSON 4xx/5xx, a few hundred bytes) are not compressed: there is nothing
to gain, and they are made outside the view's body. Every feed answer, errors included,
carries ``Vary: Accept-Encoding``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import zstandard
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers
from isal import isal_zlib

# igzip's level 1: its fastest level but 0, which compresses noticeably worse (bench/README.md).
GZIP_LEVEL = 1
ZSTD_LEVEL = 1
# zlib's window bits for a gzip wrapper (header, CRC-32 and length trailer).
GZIP_WBITS = 16 + isal_zlib.MAX_WBITS

# The request attribute that remembers the coding the body was encoded with.
CODING_ATTRIBUTE = "feed_content_coding"


def _gzip(chunks: Iterable[bytes]) -> Iterator[bytes]:
    compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, GZIP_WBITS)
    return _compressed(chunks, compressor.compress, lambda: compressor.flush(isal_zlib.Z_SYNC_FLUSH), compressor.flush)


def _zstd(chunks: Iterable[bytes]) -> Iterator[bytes]:
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True).compressobj()
    return _compressed(
        chunks,
        compressor.compress,
        lambda: compressor.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK),
        lambda: compressor.flush(zstandard.COMPRESSOBJ_FLUSH_FINISH),
    )


def _compressed(
    chunks: Iterable[bytes],
    compress: Callable[[bytes], bytes],
    flush_block: Callable[[], bytes],
    finish: Callable[[], bytes],
) -> Iterator[bytes]:
    source = iter(chunks)
    try:
        first = True
        for chunk in source:
            out = compress(chunk)
            if first:
                # Sent at once: the answer has started (its headers are out), as uncompressed.
                out += flush_block()
                first = False
            if out:
                yield out
        # Reached only when the body ended normally: its end marks a complete answer.
        yield finish()
    finally:
        # The body's own close ends its database work (COPY's transaction) now, also
        # when the client went away and the server closes this generator.
        close = getattr(source, "close", None)
        if close is not None:
            close()


@dataclass(frozen=True)
class Coding:
    name: str  # the Content-Encoding token
    encode: Callable[[Iterable[bytes]], Iterator[bytes]]


GZIP = Coding("gzip", _gzip)
ZSTD = Coding("zstd", _zstd)
# In order of preference when the client ranks them equal.
CODINGS = (ZSTD, GZIP)
# Codings that ``*`` stands for (zstd only when named).
WILDCARD_CODINGS = ("gzip", "identity")
ALIASES = {"x-gzip": "gzip"}
# RFC 9110: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
QVALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")


def parse_accept_encoding(header: str) -> dict[str, float]:
    """``{coding: q}`` of an Accept-Encoding value, names in lower case; malformed
    entries left out. The first entry of a coding named twice counts."""
    offered: dict[str, float] = {}
    for entry in header.split(","):
        name, *params = (part.strip() for part in entry.split(";"))
        name = ALIASES.get(name.lower(), name.lower())
        if not name:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                value = value.strip()
                q = float(value) if QVALUE.fullmatch(value) else -1.0
        if q >= 0 and name not in offered:
            offered[name] = q
    return offered


def negotiate(header: str | None) -> Coding | None:
    """The coding to answer with, or None for no compression (see the module's docstring)."""
    if not header or not header.strip():
        return None
    offered = parse_accept_encoding(header)

    def quality(name: str) -> float:
        if name in offered:
            return offered[name]
        return offered.get("*", 0.0) if name in WILDCARD_CODINGS else 0.0

    best = max(CODINGS, key=lambda coding: quality(coding.name))  # ties: the first, zstd
    if quality(best.name) <= 0:
        return None
    # identity not named (nor *) is the fallback, below every coding offered.
    return best if quality(best.name) >= quality("identity") else None


def requested_coding(request: HttpRequest) -> Coding | None:
    return negotiate(request.META.get("HTTP_ACCEPT_ENCODING"))


def encoded(request: HttpRequest, body: Iterable[bytes]) -> Iterable[bytes]:
    """``body`` compressed in the coding the request asks for (or as it is)."""
    coding = requested_coding(request)
    setattr(request, CODING_ATTRIBUTE, coding)
    return body if coding is None else coding.encode(body)


def label(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """``Vary: Accept-Encoding`` on every feed answer; ``Content-Encoding`` on a 200 whose
    body ``encoded`` compressed (for HEAD: the one a GET would have)."""
    patch_vary_headers(response, ("Accept-Encoding",))
    if response.status_code != 200:
        return response
    if request.method == "HEAD":
        coding = requested_coding(request)
    else:
        coding = getattr(request, CODING_ATTRIBUTE, None)
    if coding is not None:
        response["Content-Encoding"] = coding.name
    return response
