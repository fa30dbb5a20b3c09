"""``GET /api/docs``: the document shown to a person, every feed listed, nothing loaded from
another host (operations.md 9), served by the shipped gunicorn with DEBUG off, where
WhiteNoise serves the page's files without collectstatic having run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders

from tests.support.servers import Gunicorn, migrate, service_env

FEEDS = [
    "users", "contacts", "logins", "transactions", "wallets", "games", "tournaments", "sport-events", "bets",
    "bet-selections", "deletions",
]
# The document's paths: the feeds, and game-actions, which is only pushed (after games).
PATHS = [*FEEDS[:6], "game-actions", *FEEDS[6:]]
# Each served feed's path, then its digest's; game-actions (only pushed) has none.
DOCUMENTED = [path for feed in PATHS for path in (f"/api/{feed}", f"/api/{feed}/digest") if feed != "game-actions" or
              path == "/api/game-actions"]
CHROMIUM = shutil.which("chromium")


class Links(HTMLParser):
    """Every src and href of a page, and the text of its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("docs")
    env = service_env(data)  # no DEBUG: the service's default, off
    assert "DEBUG" not in env
    migrate(env)
    with Gunicorn(env, data / "gunicorn.log") as running:
        yield running


@pytest.fixture(scope="module")
def page(server) -> str:
    status, headers, body = server.request("GET", "/api/docs")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    return body.decode()


def links(page: str) -> Links:
    parser = Links()
    parser.feed(page)
    return parser


def test_every_feed_is_listed_with_a_link_to_the_document(page):
    for feed in FEEDS:
        assert f">{feed}</a>" in page, feed
    assert 'href="/api/schema"' in page
    assert "intarget-export" in page


def test_no_src_or_href_names_another_host(page):
    found = links(page)
    assert found.urls
    for url in found.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url
    assert found.scripts  # Swagger UI's start-up, inline
    for script in found.scripts:
        assert not re.search(r"https?:|//[a-z0-9]", script, re.I), script
    assert not re.search(r"https?://", page)


def test_every_file_the_page_loads_is_served_here_with_debug_off(server, page):
    expected = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}
    static = [url for url in links(page).urls if url.startswith("/static/")]
    assert len(static) == 4  # the stylesheet, two scripts and the icon
    for url in static:
        status, headers, body = server.request("GET", url)
        assert status == 200, url
        assert headers["content-type"].startswith(expected[url[url.rfind("."):]]), (url, headers["content-type"])
        assert body == open(finders.find(url.removeprefix("/static/")), "rb").read(), url  # the sidecar's file
    status, headers, body = server.request("GET", "/api/schema")
    assert status == 200 and list(json.loads(body)["paths"]) == DOCUMENTED


@pytest.mark.slow
def test_a_browser_with_no_other_host_reachable_shows_every_feed(server, tmp_path):
    """Headless Chromium; every host but the service's resolves to nothing, and its network
    log shows that the page asked for nothing elsewhere (Chromium's own update checks,
    which no page starts, are not the page's)."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (CI installs it for the browser tests)")
    netlog = tmp_path / "netlog.json"
    done = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
            "--disable-background-networking", "--disable-component-update", "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", f"--log-net-log={netlog}",
            "--virtual-time-budget=15000", "--dump-dom", f"{server.url}/api/docs",
        ],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rendered = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', done.stdout))
    assert rendered == set(DOCUMENTED)
    asked = [
        event["params"]["url"]
        for event in json.loads(netlog.read_text())["events"]
        if event.get("params", {}).get("initiator", "not an origin") != "not an origin" and "url" in event["params"]
    ]
    assert any(url.endswith("/api/schema") for url in asked)
    assert [url for url in asked if not url.startswith(server.url + "/")] == []


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/api/docs", "/api/schema"])
def test_other_methods_are_a_json_405_as_everywhere_under_api(server, path, method):
    status, headers, body = server.request(method, path)
    assert status == 405
    assert headers["content-type"] == "application/json"
    assert headers["allow"] == "GET, HEAD"
    assert json.loads(body)["error"]


def test_the_page_is_the_page_whatever_the_client_asks_for(server):
    for path, headers in (("/api/docs?format=json", {}), ("/api/docs", {"Accept": "application/json"})):
        status, answer, _ = server.request("GET", path, headers)
        assert (status, answer["content-type"]) == (200, "text/html; charset=utf-8"), path


def test_the_document_with_the_database_unreachable_is_a_json_503(tmp_path):
    env = service_env(tmp_path, "postgresql://postgres@127.0.0.1:1/nowhere")
    with Gunicorn(env) as server:
        status, headers, body = server.request("GET", "/api/schema")
        assert status == 503 and headers["content-type"] == "application/json"
        assert int(headers["retry-after"]) > 0 and "database" in json.loads(body)["error"]
        assert server.request("GET", "/api/docs")[0] == 200  # the page itself needs no database
