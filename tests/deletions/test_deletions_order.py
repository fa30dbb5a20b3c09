"""GET /api/deletions orders a window by (deleted_at, feed, id) as served (assurance.md
section 15): deleted_at is served in whole seconds, so within one second the tombstones
come by feed, then id, whatever the fractions stored. The window's rows are the same as
by the stored stamp (its bounds are whole seconds), the stored stamps are never changed,
and an index serves the range and the order (no sort before the first row)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from deletions.models import Tombstone
from deletions.served_order import INDEX
from feeds.registry import served_feeds
from tests.support.api import get
from tests.support.factories import at, issue_key

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}
# Stored in the opposite order to the served one within 07:30:00.
STORED = [
    ("users", "p1", "2020-10-10 07:30:00.1"),
    ("users", "p0", "2020-10-10 07:30:00.2"),
    ("games", "s9", "2020-10-10 07:30:00.3"),
    ("contacts", "p5", "2020-10-10 07:30:00.9"),
    ("bets", "b1", "2020-10-10 07:30:01"),
    ("wallets", "w1", "2020-10-10 07:00:00"),
    ("users", "p9", "2020-10-10 07:59:59.999999"),
    ("users", "late", "2020-10-10 08:00:00"),  # the next window's
    ("users", "early", "2020-10-10 06:59:59.999999"),  # the previous one's
]
SERVED = [
    "wallets,w1,2020-10-10 07:00:00",
    "contacts,p5,2020-10-10 07:30:00",
    "games,s9,2020-10-10 07:30:00",
    "users,p0,2020-10-10 07:30:00",
    "users,p1,2020-10-10 07:30:00",
    "bets,b1,2020-10-10 07:30:01",
    "users,p9,2020-10-10 07:59:59",
]


@pytest.fixture
def tombstones(db):
    for feed, row_id, deleted_at in STORED:
        Tombstone.objects.create(feed=feed, row_id=row_id, deleted_at=at(deleted_at))


def test_within_a_served_second_tombstones_come_by_feed_then_id(tombstones, client_with_key):
    assert get(client_with_key, "deletions", **WINDOW).decode().splitlines() == ["feed,id,deleted_at", *SERVED]
    rows = json.loads(get(client_with_key, "deletions", **WINDOW, format="json"))
    assert [f"{row['feed']},{row['id']},{row['deleted_at']}" for row in rows] == SERVED


def test_export_feed_writes_the_same_order(tombstones, tmp_path):
    out = tmp_path / "deletions.csv"
    call_command("export_feed", "deletions", "--from", WINDOW["from"], "--to", WINDOW["to"], "--output", str(out),
                 stdout=io.StringIO())
    assert out.read_text().splitlines()[1:] == SERVED


def test_a_key_that_opens_some_feeds_gets_their_tombstones_in_the_same_order(tombstones):
    _, secret = issue_key("InTarget", feeds=["users", "games"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert get(api, "deletions", **WINDOW).decode().splitlines()[1:] == [
        line for line in SERVED if line.split(",")[0] in ("users", "games")]


def test_the_stored_stamps_are_not_changed(tombstones):
    assert sorted(Tombstone.objects.values_list("deleted_at", flat=True)) == sorted(at(s) for _, _, s in STORED)


def plan() -> str:
    queryset = served_feeds()["deletions"].queryset(at(WINDOW["from"]), at(WINDOW["to"]))
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Empty test tables make a sequential scan look cheapest: forbid it (and
            # sorting, as the streams do) to see whether the index serves range and order.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_the_window_is_a_range_of_the_served_order_index_with_no_sort():
    text = plan()
    assert INDEX in text, text
    if connection.vendor == "postgresql":
        assert "Sort" not in text and "Seq Scan" not in text, text
    else:
        assert "TEMP B-TREE" not in text, text
