"""``/``: a short page naming the service and linking its documents and the admin; HTML to
a browser, JSON to API clients; never a debug page (operations.md 9)."""

import pytest
from django.test import Client

from tests.support.servers import Gunicorn, migrate, service_env

# No database engine changes what this checks: it runs once, in the SQLite pass.
pytestmark = [pytest.mark.django_db, pytest.mark.engine_independent]

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
LINKS = {"docs": "/api/docs", "schema": "/api/schema", "admin": "/admin/"}


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/json, text/html;q=0.5"])
def test_api_clients_get_json_naming_the_service_and_its_links(accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = Client().get("/", **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    about = response.json()
    assert about["service"] == "intarget-export"
    assert {name: about[name] for name in LINKS} == LINKS
    assert set(about) == {"service", "description", "feeds", *LINKS}  # nothing else: no data, no settings
    assert "Accept" in response["Vary"]


def test_a_browser_gets_a_short_page_linking_the_docs_the_document_and_the_admin():
    response = Client().get("/", HTTP_ACCEPT=BROWSER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert "<h1>intarget-export</h1>" in page
    for url in LINKS.values():
        assert f'href="{url}"' in page, url


def test_other_methods_are_refused():
    assert Client().head("/").status_code == 200
    assert Client().put("/").status_code == 405


def test_the_shipped_server_answers_both_without_debug(tmp_path):
    env = service_env(tmp_path)  # DEBUG off, as with no environment at all
    migrate(env)
    with Gunicorn(env) as server:
        status, headers, body = server.request("GET", "/", {"Accept": BROWSER})
        assert status == 200 and headers["content-type"].startswith("text/html")
        assert b"Traceback" not in body and b"DEBUG" not in body
        status, headers, body = server.request("GET", "/")
        assert status == 200 and headers["content-type"] == "application/json"
