"""Compressed answers over real gunicorn (operations.md section 12): with
``Accept-Encoding: gzip`` (or zstd) the body is compressed, still streamed, and
decompresses to exactly the bytes of the uncompressed answer; without the header, or with
the coding refused, nothing is compressed.

One gunicorn for the module, on the tests' database engine: on PostgreSQL the rows are
committed into the test database (COPY path) and flushed at the end; on SQLite a file of
its own (portable path).
"""

from __future__ import annotations

import csv
import gzip
import http.client
import io
import json
import zlib

import pytest
import zstandard
from django.core.management import call_command

from tests.support.servers import Gunicorn, manage, shared_database_env

# The module's fixture needs the test database set up (pytest-django sets up only the
# databases that some collected test is marked for).
pytestmark = pytest.mark.django_db

ROWS = 6000
WINDOW = "from=2020-10-10+00:00:00&to=2020-10-11+00:00:00"
SMALL_WINDOW = "from=2020-10-10+00:00:00&to=2020-10-10+00:01:00"
EMPTY_WINDOW = "from=2001-01-01+00:00:00&to=2001-01-02+00:00:00"
SETUP = """
from django.core.management import call_command
call_command("import_feed", "transactions", "{folder}/transactions.csv", "--preserve-timestamps")
call_command("define_custom_field", "vip_level", "integer")
call_command("import_feed", "users", "{folder}/users.csv", "--preserve-timestamps")
call_command("create_api_key", "compressed")
"""


def write_csv(path, header, rows) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def service(tmp_path_factory, django_db_setup, django_db_blocker):
    data = tmp_path_factory.mktemp("compressed")
    with django_db_blocker.unblock():
        env = shared_database_env(data, WEB_CONCURRENCY="1")
    try:
        # Enough rows for many 64 KiB chunks; text that quoting, commas and UTF-8 exercise.
        write_csv(
            data / "transactions.csv",
            ["id", "player_id", "amount", "currency", "dir", "created_at", "updated_at", "comment"],
            (
                [f"t{n:05d}", f"p{n % 97}", f"{n}.{n % 100:02d}", "EUR", "IN", "2020-10-10 00:00:00",
                 f"2020-10-10 {n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}",
                 f'Zahlung «{n}», "geprüft"\nzweite Zeile' if n % 7 == 0 else ""]
                for n in range(ROWS)
            ),
        )
        write_csv(
            data / "users.csv",
            ["id", "first_name", "registered_at", "modified_at", "vip_level"],
            ([f"u{n}", f"Ann, the {n}ᵗʰ", "2020-10-01 00:00:00", f"2020-10-10 07:{n % 60:02d}:00", str(n % 5)]
             for n in range(200)),
        )
        # One process for the loads and the key (each manage.py start costs a second or two).
        key = manage(env, "shell", "-c", SETUP.format(folder=str(data))).splitlines()[-1]
        with Gunicorn(env, data / "gunicorn.log") as server:
            yield server, key, env
    finally:
        if "DATABASE_URL" in env:  # PostgreSQL: the test database, committed into
            with django_db_blocker.unblock():
                call_command("flush", interactive=False, verbosity=0)


def get(service, path: str, accept_encoding: str | None = None, connection_class=http.client.HTTPConnection):
    server, key, _ = service
    headers = {"Authorization": f"Bearer {key}"}
    if accept_encoding is not None:
        headers["Accept-Encoding"] = accept_encoding
    conn = connection_class("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def varies_on_accept_encoding(vary: str | None) -> bool:
    return "accept-encoding" in [name.strip().lower() for name in (vary or "").split(",")]


def zstd_decompress(body: bytes) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body), read_across_frames=True)
    return reader.read()


@pytest.mark.parametrize(("path", "rows"), [
    (f"/api/transactions?{WINDOW}", ROWS),
    (f"/api/transactions?{WINDOW}&format=json", ROWS),
    (f"/api/users?{WINDOW}", 200),  # with the custom field's column
    (f"/api/users?{WINDOW}&format=json", 200),
    (f"/api/transactions?{EMPTY_WINDOW}", 0),
    (f"/api/transactions?{EMPTY_WINDOW}&format=json", 0),
])
def test_a_compressed_answer_decompresses_to_the_uncompressed_bytes(service, path, rows):
    plain, plain_body = get(service, path)
    assert plain.status == 200
    assert plain.getheader("Content-Encoding") is None
    gzipped, gzip_body = get(service, path, "gzip")
    zstded, zstd_body = get(service, path, "zstd")
    for response, coding in ((gzipped, "gzip"), (zstded, "zstd")):
        assert response.status == 200
        assert response.getheader("Content-Encoding") == coding
        assert response.getheader("Transfer-Encoding") == "chunked"  # still streamed
        assert response.getheader("Content-Length") is None
        assert response.getheader("Content-Type") == plain.getheader("Content-Type")
        assert varies_on_accept_encoding(response.getheader("Vary"))
    assert gzip.decompress(gzip_body) == plain_body
    assert zstd_decompress(zstd_body) == plain_body
    assert gzip_body[:2] == b"\x1f\x8b"  # one gzip member, not raw deflate
    if "json" in path:
        assert len(json.loads(plain_body)) == rows
    else:
        assert plain_body.count(b"\n") >= rows + 1
    if rows == ROWS:
        assert len(plain_body) > 4 * 64 * 1024  # many chunks
        assert len(gzip_body) * 4 < len(plain_body)
        assert len(zstd_body) * 4 < len(plain_body)


def test_the_custom_field_is_in_the_compressed_answer(service):
    _, body = get(service, f"/api/users?{WINDOW}", "gzip")
    lines = gzip.decompress(body).decode().splitlines()
    assert lines[0].endswith(",vip_level")
    assert len(lines) == 201


@pytest.mark.parametrize("accept_encoding", [None, "", "identity", "gzip;q=0", "gzip;q=0, zstd;q=0", "br, deflate",
                                             "identity;q=1, gzip;q=0.5", "*;q=0"])
def test_no_compression_unless_a_coding_is_accepted(service, accept_encoding):
    path = f"/api/transactions?{SMALL_WINDOW}"
    response, body = get(service, path, accept_encoding)
    assert response.status == 200
    assert response.getheader("Content-Encoding") is None
    assert varies_on_accept_encoding(response.getheader("Vary"))
    assert body.startswith(b"id,player_id,")


@pytest.mark.parametrize(("accept_encoding", "coding"), [
    ("gzip, deflate", "gzip"),
    ("GZIP", "gzip"),
    ("x-gzip", "gzip"),
    ("*", "gzip"),
    ("gzip, deflate, br, zstd", "zstd"),  # equal: zstd
    ("zstd;q=0.5, gzip", "gzip"),
    ("gzip;q=0.2, zstd;q=0.9", "zstd"),
    ("zstd;q=0, *", "gzip"),
])
def test_the_coding_follows_the_client_s_preference(service, accept_encoding, coding):
    response, body = get(service, f"/api/transactions?{SMALL_WINDOW}", accept_encoding)
    assert response.getheader("Content-Encoding") == coding
    decompressed = gzip.decompress(body) if coding == "gzip" else zstd_decompress(body)
    assert decompressed.startswith(b"id,player_id,")


class HTTP10Connection(http.client.HTTPConnection):
    _http_vsn = 10
    _http_vsn_str = "HTTP/1.0"


@pytest.mark.parametrize("coding", ["gzip", "zstd"])
def test_an_http_1_0_answer_is_compressed_before_it_is_spooled(service, coding):
    path = f"/api/transactions?{WINDOW}&format=json"
    _, plain_body = get(service, path)
    response, body = get(service, path, coding, HTTP10Connection)
    assert response.status == 200
    assert response.getheader("Content-Encoding") == coding
    assert response.getheader("Transfer-Encoding") is None
    assert int(response.getheader("Content-Length")) == len(body)  # the compressed length
    decompressed = gzip.decompress(body) if coding == "gzip" else zstd_decompress(body)
    assert decompressed == plain_body


def test_a_head_request_names_the_coding_a_get_would_have(service):
    server, key, _ = service
    status, headers, body = server.request(
        "HEAD", f"/api/transactions?{WINDOW}", {"Authorization": f"Bearer {key}", "Accept-Encoding": "gzip"}
    )
    assert (status, body) == (200, b"")
    assert headers["Content-Encoding"] == "gzip"
    assert varies_on_accept_encoding(headers["Vary"])


def test_an_error_answer_is_plain_json_and_varies(service):
    response, body = get(service, "/api/transactions?from=2020-10-10+00:00:00", "gzip")
    assert response.status == 400
    assert response.getheader("Content-Encoding") is None
    assert varies_on_accept_encoding(response.getheader("Vary"))
    assert json.loads(body)["param"] == "to"


def test_a_compressed_stream_starts_at_once(service):
    """The first chunk is flushed through: the header line arrives before the rest."""
    server, key, _ = service
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("GET", f"/api/transactions?{WINDOW}", headers={"Authorization": f"Bearer {key}",
                                                                  "Accept-Encoding": "gzip"})
        response = conn.getresponse()
        first = response.read1()  # the first chunk http.client has
        start = zlib.decompressobj(31).decompress(first)
        assert start.startswith(b"id,player_id,amount")
    finally:
        conn.close()


def test_the_pull_log_counts_the_bytes_sent(service):
    """``bytes`` of a pull: the body as it went over the wire, compressed when it was."""
    path = f"/api/transactions?{WINDOW}&format=json"
    _, plain_body = get(service, path)
    _, gzip_body = get(service, path, "gzip")
    _, _, env = service
    pulls = list(csv.DictReader(io.StringIO(manage(env, "pull_log", "--feed", "transactions"))))
    sizes = {int(pull["bytes"]) for pull in pulls if pull["format"] == "json" and pull["complete"] == "true"}
    assert {len(plain_body), len(gzip_body)} <= sizes
