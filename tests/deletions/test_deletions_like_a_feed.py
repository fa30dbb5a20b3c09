"""The deletions feed is a feed like the others (assurance.md section 15): in the pull
log, in sync_gaps, in the OpenAPI document with its three columns, and export_feed
writes the bytes the API answers."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from deletions.models import Tombstone
from operations.models import Pull
from tests.support.factories import at, issue_key

pytestmark = pytest.mark.django_db


def pull(secret: str, start: str, end: str) -> bytes:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.get("/api/deletions", {"from": start, "to": end})
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_its_pulls_are_logged_and_its_gaps_found():
    Tombstone.objects.create(feed="users", row_id="p1", deleted_at=at("2020-10-10 07:10:00"))
    _, secret = issue_key("InTarget", feeds=["users"])
    body = pull(secret, "2020-10-10 07:00:00", "2020-10-10 08:00:00")
    pull(secret, "2020-10-10 09:00:00", "2020-10-10 10:00:00")
    first = Pull.objects.order_by("started_at").first()
    assert (first.feed, first.status, first.rows, first.bytes, first.complete) == ("deletions", 200, 1, len(body), True)
    out = io.StringIO()
    call_command("sync_gaps", "--feed", "deletions", stdout=out)
    assert out.getvalue().splitlines() == ["key,feed,from,to", "InTarget,deletions,2020-10-10 08:00:00,2020-10-10 09:00:00"]


def test_the_openapi_document_describes_it_with_its_columns():
    doc = Client().get("/api/schema").json()
    assert set(doc["paths"]["/api/deletions"]) == {"get"}
    row = doc["components"]["schemas"]["DeletionsRow"]
    assert list(row["properties"]) == ["feed", "id", "deleted_at"]


def test_export_feed_writes_what_the_api_answers(tmp_path):
    Tombstone.objects.create(feed="games", row_id="s1", deleted_at=at("2020-10-10 07:10:00.5"))
    _, secret = issue_key()
    out = tmp_path / "deletions.csv"
    call_command("export_feed", "deletions", "--from", "2020-10-10 07:00:00", "--to", "2020-10-10 08:00:00",
                 "--output", str(out), stdout=io.StringIO())
    assert out.read_bytes() == pull(secret, "2020-10-10 07:00:00", "2020-10-10 08:00:00") == (
        b"feed,id,deleted_at\ngames,s1,2020-10-10 07:10:00\n")
