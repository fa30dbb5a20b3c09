"""HTTP/1.0 answers are spooled and sent with their length; HTTP/1.1 answers still stream.

The faults themselves (a database or a worker dying mid-answer, behind nginx or not) are
in test_transport_faults.py; this module checks the answers' shape on both databases.
"""

import errno
import json
import os
import tempfile
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError, connection
from django.http import FileResponse

from api.spooling import SpoolRefused, spooled_response
from tests.support.api import WINDOW, ids
from tests.support.factories import TransactionFactory, at
from tests.support.servers import run_manage, service_env

pytestmark = pytest.mark.django_db

HTTP_1_0 = {"SERVER_PROTOCOL": "HTTP/1.0"}


@pytest.fixture
def transactions():
    # More than one renderer chunk (64 KiB), so that the spool is written in several parts.
    for n in range(1200):
        TransactionFactory(id=f"t{n:05d}", comment="x" * 60, updated_at=at(f"2020-10-10 07:{n // 60:02d}:{n % 60:02d}"))


@pytest.fixture
def spool_dir(tmp_path, monkeypatch):
    """Spools go to a folder of the test's own, to see what is left in it."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def open_files_in(folder: Path) -> list[str]:
    """Files under ``folder`` this process holds open (deleted ones included)."""
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return [target for target in targets if target.startswith(str(folder))]


@pytest.mark.parametrize("format", ["csv", "json"])
def test_an_http_1_0_answer_has_its_length_and_the_same_bytes_as_the_stream(client_with_key, transactions, format):
    streamed = client_with_key.get("/api/transactions", {**WINDOW, "format": format})
    spooled = client_with_key.get("/api/transactions", {**WINDOW, "format": format}, **HTTP_1_0)
    assert streamed.status_code == spooled.status_code == 200
    streamed_body = b"".join(streamed.streaming_content)
    spooled_body = b"".join(spooled.streaming_content)
    assert spooled_body == streamed_body
    assert len(spooled_body) > 64 * 1024
    assert int(spooled["Content-Length"]) == len(spooled_body)
    assert spooled["Content-Type"] == streamed["Content-Type"]
    assert "Content-Disposition" not in spooled
    if format == "csv":
        assert ids(spooled_body) == [f"t{n:05d}" for n in range(1200)]
    else:
        assert len(json.loads(spooled_body)) == 1200


def test_an_answer_for_a_proxy_s_http_1_0_client_is_spooled(client_with_key, transactions):
    # deploy/nginx.conf talks HTTP/1.1 to gunicorn and names its own client's version.
    response = client_with_key.get("/api/transactions", WINDOW, HTTP_X_FORWARDED_HTTP_VERSION="HTTP/1.0")
    assert response.status_code == 200
    assert int(response["Content-Length"]) == len(b"".join(response.streaming_content))


def test_an_http_1_1_answer_still_streams_without_a_length(client_with_key, transactions):
    response = client_with_key.get("/api/transactions", WINDOW, HTTP_X_FORWARDED_HTTP_VERSION="HTTP/1.1")
    assert response.status_code == 200
    assert not isinstance(response, FileResponse)
    assert "Content-Length" not in response


def test_a_head_request_over_http_1_0_answers_headers_only(client_with_key, transactions, spool_dir):
    response = client_with_key.head("/api/transactions", WINDOW, **HTTP_1_0)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content) == b""
    assert open_files_in(spool_dir) == []


def test_the_spool_never_has_a_name_and_is_released_when_the_answer_closes(client_with_key, transactions, spool_dir):
    response = client_with_key.get("/api/transactions", WINDOW, **HTTP_1_0)
    assert response.status_code == 200
    assert list(spool_dir.iterdir()) == []  # unlinked from the start: a killed worker leaves nothing
    assert len(open_files_in(spool_dir)) == 1
    b"".join(response.streaming_content)
    response.close()
    assert open_files_in(spool_dir) == []


def test_a_database_error_while_spooling_is_raised_as_django_s_and_releases_the_spool(spool_dir):
    def chunks():
        yield b"id,amount\n"
        yield b"t1,1\n"
        # What the driver raises when the serving backend is terminated: psycopg's own
        # class on PostgreSQL (COPY goes around Django's cursor wrapper).
        if connection.vendor == "postgresql":
            raise psycopg.errors.AdminShutdown("terminating connection due to administrator command")
        raise connection.Database.OperationalError("disk I/O error")

    with pytest.raises(OperationalError):
        spooled_response(chunks(), "text/csv; charset=utf-8")
    assert open_files_in(spool_dir) == []
    assert list(spool_dir.iterdir()) == []


def test_any_other_error_while_spooling_releases_the_spool(spool_dir):
    def chunks():
        yield b"id,amount\n"
        raise ValueError("a formatting bug")

    with pytest.raises(ValueError):
        spooled_response(chunks(), "text/csv; charset=utf-8")
    assert open_files_in(spool_dir) == []


def test_an_answer_past_spool_max_bytes_is_a_507_that_says_to_use_http_1_1(client_with_key, transactions, spool_dir, settings):
    """issue 18, item 8: the spool is bounded; past it the file is dropped and the answer
    is a JSON error naming the way out, never a full TMPDIR."""
    settings.SPOOL_MAX_BYTES = 50_000  # the window's CSV is about 120 KB
    response = client_with_key.get("/api/transactions", WINDOW, **HTTP_1_0)
    assert response.status_code == 507
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert "larger than 50000 bytes" in error and "HTTP/1.1" in error and "smaller window" in error
    assert open_files_in(spool_dir) == []
    assert list(spool_dir.iterdir()) == []
    # The same window streamed over HTTP/1.1 is not bounded by it.
    assert client_with_key.get("/api/transactions", WINDOW).status_code == 200


def test_a_full_tmpdir_while_spooling_is_a_507_and_releases_the_spool(spool_dir, monkeypatch):
    """The spool's second write finds the disk full (ENOSPC), as a small TMPDIR would."""
    make_spool = tempfile.TemporaryFile

    def spool_on_a_full_disk(*args, **kwargs):
        spool = make_spool(*args, **kwargs)
        write = spool.write

        def write_until_full(data: bytes) -> int:
            if spool.tell():
                raise OSError(errno.ENOSPC, "No space left on device")
            return write(data)

        spool.write = write_until_full
        return spool

    monkeypatch.setattr(tempfile, "TemporaryFile", spool_on_a_full_disk)
    with pytest.raises(SpoolRefused, match="no room left to spool the answer"):
        spooled_response(iter([b"id,amount\n", b"t1,1\n"]), "text/csv; charset=utf-8")
    assert open_files_in(spool_dir) == []


@pytest.mark.parametrize("value", ["0", "-5", "two gigabytes"])
def test_a_bad_spool_max_bytes_stops_the_service_by_name(tmp_path, value):
    done = run_manage(service_env(tmp_path, SPOOL_MAX_BYTES=value), "check")
    assert done.returncode != 0
    assert "SPOOL_MAX_BYTES must be a whole number" in done.stderr
