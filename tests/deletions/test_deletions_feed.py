"""``GET /api/deletions?from=…&to=…`` (assurance.md section 15): the tombstones whose
deleted_at lies in the window, ordered by (deleted_at, feed, id); CSV header exactly
feed,id,deleted_at, JSON objects with those keys. Every pull key may ask, even one whose
feed list predates the deletions feed; it gets the tombstones of the feeds it may pull."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from deletions.models import Tombstone
from tests.support.factories import at, issue_key

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}


@pytest.fixture
def tombstones(db):
    """Written as the triggers write them (tests need exact instants)."""
    for feed, row_id, deleted_at in [
        ("users", "p2", "2020-10-10 07:00:00"),  # at from: in
        ("users", "p1", "2020-10-10 07:30:00.25"),
        ("games", "s1", "2020-10-10 07:30:00.25"),  # a tie of time: by feed, then id
        ("bet-selections", "x", "2020-10-10 07:30:00.25"),
        ("bets", "x", "2020-10-10 07:30:00.25"),
        ("contacts", "p1", "2020-10-10 07:59:59.999999"),
        ("users", "p3", "2020-10-10 08:00:00"),  # at to: the next window's
        ("users", "p0", "2020-10-10 06:59:59.999999"),
    ]:
        Tombstone.objects.create(feed=feed, row_id=row_id, deleted_at=at(deleted_at))


def client(**rules) -> APIClient:
    _, secret = issue_key("InTarget", **rules)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api


def get(api: APIClient, **params):
    return api.get("/api/deletions", {**WINDOW, **params})


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def test_the_window_s_tombstones_as_csv_in_order(tombstones):
    assert body(get(client())) == (
        b"feed,id,deleted_at\n"
        b"users,p2,2020-10-10 07:00:00\n"
        b"bet-selections,x,2020-10-10 07:30:00\n"
        b"bets,x,2020-10-10 07:30:00\n"
        b"games,s1,2020-10-10 07:30:00\n"
        b"users,p1,2020-10-10 07:30:00\n"
        b"contacts,p1,2020-10-10 07:59:59\n"
    )


def test_json_objects_have_the_same_keys(tombstones):
    rows = json.loads(body(get(client(), format="json")))
    assert rows[0] == {"feed": "users", "id": "p2", "deleted_at": "2020-10-10 07:00:00"}
    assert [list(row) for row in rows] == [["feed", "id", "deleted_at"]] * 6


def test_an_empty_window_is_the_header_alone(db):
    assert body(get(client())) == b"feed,id,deleted_at\n"
    assert body(get(client(), format="json")) == b"[]"


def test_a_key_limited_to_some_feeds_gets_their_tombstones_only(tombstones):
    # Its feed list was made before the deletions feed existed: deletions is open to it.
    limited = client(feeds=["users", "bets"])
    assert body(get(limited)) == (
        b"feed,id,deleted_at\n"
        b"users,p2,2020-10-10 07:00:00\n"
        b"bets,x,2020-10-10 07:30:00\n"
        b"users,p1,2020-10-10 07:30:00\n"
    )
    assert get(limited, format="json").status_code == 200
    # The feeds themselves stay as its rule says.
    assert limited.get("/api/games", WINDOW).status_code == 403


def test_a_key_that_names_deletions_among_its_feeds_gets_the_tombstones_of_the_others_it_names(tombstones):
    rows = json.loads(body(get(client(feeds=["games", "deletions"]), format="json")))
    assert rows == [{"feed": "games", "id": "s1", "deleted_at": "2020-10-10 07:30:00"}]


def test_a_push_key_may_not_pull_deletions_and_nobody_may_push_them(tombstones):
    pusher = client(push=True)
    assert get(pusher).status_code == 403
    refused = pusher.post("/api/deletions", b"feed,id,deleted_at\n", content_type="text/csv")
    assert refused.status_code == 405


def test_no_key_is_a_401_and_a_bad_window_a_400_naming_the_parameter(db):
    assert APIClient().get("/api/deletions", WINDOW).status_code == 401
    response = client().get("/api/deletions", {"from": "2020-10-10 07:00:00"})
    assert response.status_code == 400 and response.json()["param"] == "to"
