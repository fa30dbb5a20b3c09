"""Nothing under /api/ may be stored by a browser, proxy or CDN: feed answers and errors."""

import pytest
from rest_framework.test import APIClient

from tests.support.api import WINDOW

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params, extra",
    [
        ({**WINDOW}, {}),
        ({**WINDOW, "format": "json"}, {}),
        ({**WINDOW}, {"SERVER_PROTOCOL": "HTTP/1.0"}),
    ],
    ids=["csv", "json", "http-1.0-spooled"],
)
def test_feed_answers_are_not_stored(client_with_key, params, extra):
    response = client_with_key.get("/api/transactions", params, **extra)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_a_head_answer_is_not_stored(client_with_key):
    assert client_with_key.head("/api/transactions", WINDOW)["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path, params, status",
    [
        ("/api/transactions", {"from": "yesterday"}, 400),
        ("/api/no-such-feed", WINDOW, 404),
        ("/api/users.json", WINDOW, 404),
        ("/api/", {}, 404),
    ],
)
def test_error_answers_under_api_are_not_stored(client_with_key, path, params, status):
    response = client_with_key.get(path, params)
    assert response.status_code == status
    assert response["Cache-Control"] == "no-store"


def test_an_answer_without_a_key_is_not_stored():
    response = APIClient().get("/api/transactions", WINDOW)
    assert response.status_code in (401, 403)
    assert response["Cache-Control"] == "no-store"


def test_pages_outside_api_keep_their_own_caching(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert response["Cache-Control"] != "no-store"  # the admin sets its own never-cache headers
