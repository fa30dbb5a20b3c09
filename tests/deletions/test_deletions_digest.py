"""``GET /api/deletions/digest`` (assurance.md sections 14 and 15): a tombstone's text is
its ``feed``, ``id`` and ``deleted_at`` as served, joined by tabs; the digest holds the
tombstones the key would be served: those of the feeds it may pull."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from deletions.models import Tombstone
from tests.support.factories import at, issue_key

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}
TOMBSTONES = [
    ("users", "p2", "2020-10-10 07:00:00"),
    ("users", "p1", "2020-10-10 07:30:00.25"),
    ("games", "s1", "2020-10-10 07:30:00.25"),
    ("contacts", "p1", "2020-10-10 07:59:59.999999"),
    ("users", "p3", "2020-10-10 08:00:00"),  # the next window's
]


@pytest.fixture
def tombstones(db):
    for feed, row_id, deleted_at in TOMBSTONES:
        Tombstone.objects.create(feed=feed, row_id=row_id, deleted_at=at(deleted_at))


def consumer_digest(rows: list[tuple[str, str, str]]) -> dict:
    """What a consumer computes over the tombstones it holds (docs/clients.md)."""
    total = sum(int.from_bytes(hashlib.sha256("\t".join(row).encode()).digest()[:8], "big") for row in rows)
    return {"rows": len(rows), "checksum": f"{total % 2**64:016x}"}


def digest(**rules) -> dict:
    _, secret = issue_key("InTarget", **rules)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.get("/api/deletions/digest", WINDOW)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_digest_is_the_consumer_s_over_the_served_tombstones(tombstones):
    answer = digest()
    assert answer["feed"] == "deletions"
    assert {"rows": answer["rows"], "checksum": answer["checksum"]} == consumer_digest([
        ("users", "p2", "2020-10-10 07:00:00"),
        ("users", "p1", "2020-10-10 07:30:00"),
        ("games", "s1", "2020-10-10 07:30:00"),
        ("contacts", "p1", "2020-10-10 07:59:59"),
    ])


def test_a_key_limited_to_some_feeds_gets_the_digest_of_their_tombstones_only(tombstones):
    answer = digest(feeds=["users"])
    assert {"rows": answer["rows"], "checksum": answer["checksum"]} == consumer_digest([
        ("users", "p2", "2020-10-10 07:00:00"),
        ("users", "p1", "2020-10-10 07:30:00"),
    ])
