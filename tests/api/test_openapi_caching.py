"""``/api/schema`` is built once per process and set of columns (issue 18, item 3): an
``ETag``, a ``304`` to a matching ``If-None-Match``, ``no-cache`` (revalidated, never
``no-store``: it holds no row data), and a new document and tag once a column is added."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import Client

from api import openapi
from api.docs import DOCUMENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def builds(monkeypatch):
    """How many times the document is generated (a fresh process: nothing built yet)."""
    monkeypatch.setattr(DOCUMENT, "_built", None)
    calls = []
    generate = openapi.FeedSchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        calls.append(1)
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(openapi.FeedSchemaGenerator, "get_schema", counted)
    return calls


def test_the_document_is_built_once_and_answered_with_an_etag(builds):
    first, second = Client().get("/api/schema"), Client().get("/api/schema")
    assert first.status_code == second.status_code == 200
    assert first["ETag"] == second["ETag"] and first["ETag"].startswith('"')
    assert first.content == second.content
    assert first["Cache-Control"] == "no-cache"
    assert first["Content-Disposition"].startswith("inline; filename=")
    assert len(builds) == 1


def test_a_matching_if_none_match_is_a_304_without_a_body(builds):
    etag = Client().get("/api/schema")["ETag"]
    again = Client().get("/api/schema", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert Client().get("/api/schema", HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    assert len(builds) == 1


def test_a_new_custom_field_makes_a_new_document_and_tag(builds):
    before = Client().get("/api/schema")
    call_command("define_custom_field", "vip_level", "integer", stdout=None)
    after = Client().get("/api/schema", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert "vip_level" in json.dumps(json.loads(after.content)["components"]["schemas"]["UsersRow"])
    assert len(builds) == 2

