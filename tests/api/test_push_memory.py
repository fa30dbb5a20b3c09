"""A push body is read as a stream (operations.md section 10; api/push_body.py):
a 50 MiB body (PUSH_MAX_BYTES' default) raises the gunicorn worker's peak memory by far
less than its size, sent with its length or chunked."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pgcluster import PrivateDatabase
from tests.support.servers import Gunicorn, migrate, new_key, service_env

pytestmark = pytest.mark.slow

BODY_BYTES = 50 * 2**20
HEADER = b"id,player_id,amount,currency,dir,created_at,comment\n"
# Peak growth allowed: the readers' buffers and one chunk of staged lines (staging.CHUNK_BYTES)
# as Python objects; a body held whole would add its 50 MiB and more.
MAX_GROWTH = 24 * 2**20


def peak_rss(pid: int) -> int:
    """The process's peak resident set (VmHWM), in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024


# About 1 KiB a row, mostly its comment: 50 MiB is some 50k rows, so the test takes
# seconds, while a batch of rows in memory is several MiB (what a leak would add to).
COMMENT = b"a long comment " * 64


def rows(total: int, prefix: str) -> Iterator[bytes]:
    """CSV of about ``total`` bytes, in blocks of about 100 KiB; the header first."""
    yield HEADER
    sent, n = len(HEADER), 0
    while sent < total:
        block = b"".join(
            b"%s%d,p%d,%d.25,EUR,IN,2020-10-10 07:00:00,%s%d\n"
            % (prefix.encode(), n + i, (n + i) % 1000, n + i, COMMENT, n + i)
            for i in range(100)
        )
        n += 100
        sent += len(block)
        yield block


def push(server: Gunicorn, key: str, blocks: Iterator[bytes], length: int | None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    if length is not None:
        headers["Content-Length"] = str(length)
    conn.request("POST", "/api/transactions", body=blocks, headers=headers, encode_chunked=length is None)
    response = conn.getresponse()
    answer = response.status, json.loads(response.read())
    conn.close()
    return answer


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("push-memory")
    private = PrivateDatabase("push_memory")
    env = service_env(folder, private.url, WEB_CONCURRENCY="1")
    try:
        migrate(env)
        key = new_key(env, "product backend", "--push")
        with Gunicorn(env, folder / "gunicorn.log") as server:
            yield server, key
    finally:
        private.drop()


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_50_mib_push_keeps_the_workers_memory_flat(served, framing):
    server, key = served
    (worker,) = server.worker_pids()
    # Warm up: imports, connections and the first batch's allocations are not the body's.
    warm = push(server, key, rows(2 * 2**20, f"warm-{framing}-"), None)
    assert warm[0] == 200, warm
    before = peak_rss(worker)
    # Just under the limit (a block may overshoot the target by one block).
    body = b"".join(rows(BODY_BYTES - 2**17, f"{framing}-"))  # here, in the test, not in the worker
    assert len(body) <= BODY_BYTES
    count = body.count(b"\n") - 1
    blocks = (body[start : start + 2**16] for start in range(0, len(body), 2**16))
    status, answer = push(server, key, blocks, len(body) if framing == "content-length" else None)
    assert (status, answer) == (200, {"rows": count})
    growth = peak_rss(worker) - before
    print(f"\n{framing}: {len(body) / 2**20:.0f} MiB, {count} rows; worker peak RSS grew {growth / 2**20:.1f} MiB")
    assert growth < MAX_GROWTH
