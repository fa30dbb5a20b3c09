"""Every error under /api/ is a small JSON object, whichever layer refuses the request;
elsewhere Django's plain pages, never a debug page listing the URL patterns."""

import json

import pytest
from django.db import DatabaseError, connection, connections
from django.test import Client
from rest_framework.test import APIClient

from api.exceptions import log_database_trouble
from tests.support.api import WINDOW
from tests.support.factories import issue_key


def assert_json_error(response, status: int, contains: str = "") -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    message = json.loads(response.content)["error"]
    assert isinstance(message, str) and message
    assert contains in message
    return message


@pytest.mark.parametrize("path", ["/api/users.json", "/api/users/x", "/api/", "/api", "/api/a/b/c", "/api/%00"])
def test_a_path_no_route_matches_is_a_json_404(client_with_key, path):
    message = assert_json_error(client_with_key.get(path, WINDOW), 404, "/api/<feed>")
    assert "admin" not in message  # no URL pattern listed


def test_an_unknown_feed_is_a_json_404_naming_the_feeds(client_with_key):
    assert_json_error(client_with_key.get("/api/nope", WINDOW), 404, "unknown feed 'nope'")


def test_more_query_parameters_than_the_limit_is_a_json_400_naming_the_limit(client_with_key, settings):
    query = "&".join(f"p{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client_with_key.get(f"/api/users?{query}")
    assert_json_error(response, 400, f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}")


def test_a_disallowed_host_is_a_json_400_that_does_not_echo_the_host(client_with_key):
    response = client_with_key.get("/api/users", WINDOW, HTTP_HOST="evil.example.net")
    message = assert_json_error(response, 400, "Host")
    assert "evil" not in message


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_a_method_other_than_get_or_head_is_a_json_405(client_with_key, method):
    assert_json_error(getattr(client_with_key, method)("/api/users"), 405)


def test_a_post_of_a_push_key_to_a_feed_that_takes_no_push_is_a_json_405(db):
    """(A pull key's POST is refused by its direction rule first: tests/access/test_key_rules.py.)"""
    _, secret = issue_key(push=True)
    response = Client().post("/api/games", "id\n", content_type="text/csv", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert_json_error(response, 405, "games cannot be pushed")
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.urls("tests.support.error_urls")
def test_any_other_suspicious_operation_is_a_json_400_without_the_details(db):
    message = assert_json_error(Client(raise_request_exception=False).get("/api/test-suspicious"), 400)
    assert "suspicious detail" not in message


@pytest.mark.urls("tests.support.error_urls")
def test_a_server_error_under_api_is_a_json_500_without_the_details(db):
    response = Client(raise_request_exception=False).get("/api/test-fails")
    message = assert_json_error(response, 500)
    assert "boom" not in message and "Traceback" not in response.content.decode()


@pytest.mark.urls("tests.support.error_urls")
def test_database_trouble_outside_a_feed_view_is_a_503_with_retry_after(db):
    client = Client(raise_request_exception=False)
    response = client.get("/api/test-fails-on-the-database")
    assert_json_error(response, 503, "database")
    assert int(response["Retry-After"]) > 0
    page = client.get("/test-fails-on-the-database")
    assert page.status_code == 503 and int(page["Retry-After"]) > 0
    assert page["Content-Type"].startswith("text/plain")


def test_an_unknown_page_outside_api_is_a_plain_404_listing_no_patterns(db):
    response = Client().get("/no/such/page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"admin/" not in response.content and b"URLconf" not in response.content


def test_feed_errors_are_not_cached(client_with_key):
    assert client_with_key.get("/api/users.json")["Cache-Control"] == "no-store"


@pytest.fixture
def read_only_database(transactional_db):
    """The test database turned read-only under the service's feet: SQLite's query_only,
    PostgreSQL's default_transaction_read_only (what a standby or a full disk gives)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET SESSION default_transaction_read_only = on")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = OFF")
        else:
            cursor.execute("SET SESSION default_transaction_read_only = off")


def test_a_read_only_database_never_answers_html_or_500(api_key, read_only_database):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    with connection.cursor() as cursor:  # the fixture really made it read-only
        with pytest.raises(Exception, match="(?i)read.?only"):
            cursor.execute("UPDATE access_apikey SET name = 'x'")
    for feed in ("users", "transactions", "sport-events"):
        response = client.get(f"/api/{feed}", WINDOW)
        # Serving the rows (reads still work) or a 503 to retry; never HTML, never a 500.
        if response.status_code != 200:
            assert_json_error(response, 503, "database")
            assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("path", ["/api/users.json", "/api/nope", "/api/users"])
def test_error_answers_keep_the_security_headers(client_with_key, path):
    response = client_with_key.get(path, {"from": "garbage", "to": "x"})
    assert response.status_code >= 400
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_a_logged_database_failure_never_shows_the_configured_password(monkeypatch, caplog):
    monkeypatch.setitem(connections["default"].settings_dict, "PASSWORD", "s3cr3t-Pw")
    log_database_trouble(DatabaseError("connection to host=db password=s3cr3t-Pw failed"))
    assert "connection to host=db" in caplog.text
    assert "s3cr3t-Pw" not in caplog.text
