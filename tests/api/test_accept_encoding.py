"""Which coding a feed answer gets from ``Accept-Encoding`` (compression.negotiate)."""

import pytest

from api.compression import negotiate, parse_accept_encoding

pytestmark = pytest.mark.engine_independent


def chosen(header):
    coding = negotiate(header)
    return coding.name if coding else None


@pytest.mark.parametrize(("header", "coding"), [
    (None, None),
    ("", None),
    ("  ", None),
    ("identity", None),
    ("gzip", "gzip"),
    ("GZip", "gzip"),
    ("x-gzip", "gzip"),
    ("deflate, gzip", "gzip"),
    ("br", None),  # nothing we have
    ("gzip;q=0", None),  # q=0 refuses
    ("gzip; q=0.000", None),
    ("gzip;Q=0", None),
    ("gzip;q=0.001", "gzip"),
    ("zstd", "zstd"),
    ("gzip, zstd", "zstd"),  # a tie: zstd
    ("zstd;q=1.0, gzip;q=1", "zstd"),
    ("gzip;q=0.9, zstd;q=0.8", "gzip"),
    ("zstd;q=0.5, gzip", "gzip"),
    ("zstd, gzip;q=0", "zstd"),
    ("*", "gzip"),  # zstd only when named
    ("*;q=0.5, zstd;q=0.4", "gzip"),
    ("*;q=0", None),
    ("*;q=0, gzip", "gzip"),
    ("gzip;q=0, *", None),  # the named refusal wins over the wildcard
    ("identity;q=1, gzip;q=0.5", None),  # identity preferred
    ("identity;q=0.5, gzip;q=0.5", "gzip"),  # a tie: compressed
    ("gzip;q=0.5", "gzip"),  # identity not named: the fallback
    ("identity;q=0, gzip;q=0", None),  # nothing acceptable: sent as it is, not a 406
    ("gzip;q=2", None),  # malformed q: the entry is ignored
    ("gzip;q=abc, zstd;q=0.1", "zstd"),
    ("gzip;q=0.5;level=9", "gzip"),  # other parameters are ignored
    (",,gzip,,", "gzip"),
])
def test_the_coding_chosen(header, coding):
    assert chosen(header) == coding


def test_a_coding_named_twice_counts_once_its_first_time():
    assert parse_accept_encoding("gzip;q=0, gzip") == {"gzip": 0.0}
    assert chosen("gzip;q=0, gzip") is None
