"""Generated requests against a real gunicorn (shipped gunicorn.conf.py): whatever the
path, parameters, credentials, method or Accept header, the service never answers a 5xx
other than a 503 with Retry-After, every error under /api/ is JSON with an "error"
string, and no answer contains the key.

Requests stay valid HTTP within gunicorn's own limits (request line 4094 bytes, header
8190, no control characters in header values): gunicorn refuses anything else itself,
with its own small HTML 400, before the service sees it.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import http.client
import json
import os
import time
import urllib.parse

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.pgcluster import PrivateDatabase
from tests.support.servers import Gunicorn, manage, migrate, new_key, service_env

pytestmark = pytest.mark.slow

FEEDS = [
    "users", "contacts", "logins", "transactions", "wallets", "games", "tournaments",
    "sport-events", "bets", "bet-selections",
]
EXAMPLES = int(os.getenv("FUZZ_HTTP_EXAMPLES", "3000"))
MAX_REQUEST_LINE = 4000  # gunicorn's limit_request_line is 4094, with the method and version
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn on its own data: a private SQLite file, or on the PostgreSQL pass a
    private database on the same server (dropped afterwards); demo rows in every feed."""
    data = tmp_path_factory.mktemp("fuzz")
    database = PrivateDatabase("fuzz_http") if connection.vendor == "postgresql" else None
    env = service_env(data, database.url if database else None)
    migrate(env)
    manage(env, "seed_demo", "--players", "20")
    key = new_key(env, "fuzz")
    with Gunicorn(env, data / "gunicorn.log") as gunicorn:
        yield gunicorn, key
    if database:
        database.drop()


def weighted(*choices):
    """One of the strategies, each ``(weight, strategy)`` drawn in proportion to its weight
    (st.one_of draws its branches evenly and folds repeated ones)."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(lambda s: s)


def stamp(moment: dt.datetime, style: int) -> str:
    return [
        moment.strftime("%Y-%m-%d %H:%M:%S"),
        moment.strftime("%Y-%m-%dT%H:%M:%S"),
        moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        moment.isoformat(),
        moment.strftime("%Y-%m-%d"),
        str(int(moment.timestamp())),
    ][style]


moments = st.builds(lambda hours: NOW - dt.timedelta(hours=hours), st.floats(-2, 30, allow_nan=False))
valid_times = st.builds(stamp, moments, st.integers(0, 5))
almost_valid_times = st.sampled_from([
    "2020-13-01 00:00:00", "2020-02-30 00:00:00", "2020-10-10 24:00:00", "2020-10-10 07:00:60",
    "2020-10-10  07:00:00", " 2020-10-10 07:00:00 ", "2020-10-10 07:00:00+25:00", "2020-10-10 07:00:00.",
    "0000-01-01 00:00:00", "9999-12-31 23:59:59", "99999-01-01 00:00:00", "2020-10-10 07:00:00.1234567",
    "-1", "1e10", "NaN", "now", "", "2020-10-10%2007:00:00", "2020-10-10+07:00:00",
])
garbage = st.text(max_size=60) | st.binary(max_size=30).map(lambda raw: raw.decode("latin-1"))
huge = st.builds(lambda ch, n: ch * n, st.sampled_from(["a", "9", "%", "é", "-"]), st.integers(200, 1200))
values = valid_times | almost_valid_times | garbage | huge | st.sampled_from(["csv", "json", "xml", "api", "CSV"])
names = st.sampled_from(["from", "to", "format", "from[]", "FROM", "page", "limit", "cursor"]) | st.text(max_size=12)
windows = st.builds(lambda start, end, rest: [("from", start), ("to", end), *rest],
                    valid_times | almost_valid_times, valid_times | almost_valid_times,
                    st.lists(st.tuples(st.sampled_from(["format", "from", "to", "x"]), values), max_size=3))
good_windows = st.builds(
    lambda start, hours, style, rest: [("from", stamp(start, style)), ("to", stamp(start + dt.timedelta(hours=hours), style)), *rest],
    moments, st.floats(0, 6, allow_nan=False), st.sampled_from([0, 1, 2, 3]),
    st.lists(st.tuples(st.just("format"), st.sampled_from(["csv", "json"])), max_size=1),
)
many = st.integers(990, 1005).map(lambda n: [("p", "")] * n)  # around DATA_UPLOAD_MAX_NUMBER_FIELDS
# Mostly windows that parse or nearly do, so that requests reach the feeds.
queries = weighted((6, good_windows), (4, windows), (3, st.lists(st.tuples(names, values), max_size=8)), (1, many))

feed_names = st.sampled_from(FEEDS) | st.text(max_size=20)
feed_paths = st.builds(lambda f, slash: f"/api/{f}{slash}", st.sampled_from(FEEDS), st.sampled_from(["", "", "/"]))
paths = weighted(
    (12, feed_paths),
    (1, st.builds(lambda f: f"/api/{urllib.parse.quote(f, safe='')}", feed_names)),
    (3, st.builds(lambda f, s: f"/api/{f}{s}", st.sampled_from(FEEDS),
                  st.sampled_from(["/", ".json", ".csv", "/x", "//", "/../users", "%2F", "%00", ";x", "/%2e%2e"]))),
    (1, st.builds(lambda t: "/api/" + urllib.parse.quote(t, safe="/%"), st.text(max_size=40))),
    (1, st.sampled_from(["/api", "/api/", "/api//users", "/API/users", "/api/users?", "/", "/admin/x"])),
)

methods = st.sampled_from(["GET"] * 14 + ["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"])
common_accepts = st.sampled_from([None, None, "text/csv", "application/json", "*/*"])
accepts = weighted((6, common_accepts), (3, st.sampled_from([
    "text/csv", "application/json", "*/*", "text/html", "application/xml", "text/csv;q=0, */*;q=0",
    "application/json; version=2", "image/png", "garbage", "text/*", ",,,", "text/csv; charset=latin-1",
])), (1, st.text(max_size=30).map(lambda t: t.encode("utf-8", "surrogatepass").decode("latin-1"))))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def authorizations(key: str):
    """(header name, value as latin-1 text) pairs, or None for no credentials."""
    valid = st.sampled_from([("Authorization", f"Bearer {key}"), ("X-Api-Key", key), ("Authorization", basic("i", key))])
    return weighted((6, valid), (1, st.none()), (2, st.sampled_from([
        ("Authorization", f"Bearer {key}"),
        ("Authorization", basic("intarget", key)),
        ("Authorization", basic(key, "")),
        ("X-Api-Key", key),
        ("Authorization", f"Bearer {key[:-1]}x"),
        ("Authorization", "Bearer "),
        ("Authorization", "Bearer"),
        ("Authorization", basic("", "")),
        ("Authorization", "Basic not-base64!!"),
        ("Authorization", "Basic " + base64.b64encode(b"no-colon").decode()),
        ("Authorization", "Basic " + base64.b64encode(b"\xff\xfe:\xfa").decode()),
        ("Authorization", "Basic " + base64.b64encode(f"{key}:".encode()).decode()),
        ("Authorization", f"Token {key}"),
        ("Authorization", "Bearer " + "k" * 3000),
        ("Authorization", "Bearer clé-é".encode().decode("latin-1")),
        ("X-Api-Key", "\u00e9\u00ff"),
    ])), (1, st.tuples(st.sampled_from(["Authorization", "X-Api-Key"]),
                       st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=80))))


def header_value(text: str) -> str:
    """Latin-1 text without the control characters that HTTP forbids in a header value."""
    return "".join(ch for ch in text if ch == "\t" or (" " <= ch and ch != "\x7f"))


def send(port: int, method: str, target: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value.encode("latin-1"))
        connection.endheaders()
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def target_of(path: str, query: list[tuple[str, str]]) -> str:
    target = path
    if query:
        target += "?" + urllib.parse.urlencode(query, safe=":+")
    return target


def test_generated_requests_never_get_a_5xx_html_or_the_key(server):
    gunicorn, key = server
    seen: collections.Counter = collections.Counter()
    started = time.monotonic()

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(method=methods, path=paths, query=queries, authorization=authorizations(key), accept=accepts)
    def one_request(method, path, query, authorization, accept):
        target = target_of(path, query)
        if len(target) > MAX_REQUEST_LINE:
            target = target_of(path, query[:3])[:MAX_REQUEST_LINE]
        headers = {}
        if authorization:
            headers[authorization[0]] = header_value(authorization[1])
        if accept is not None:
            headers["Accept"] = header_value(accept)
        status, response_headers, body = send(gunicorn.port, method, target, headers)
        seen[status] += 1
        context = f"{method} {target[:300]!r} {headers!r} -> {status} {body[:300]!r}"
        assert key.encode() not in body, context
        if status >= 500:
            assert status == 503 and int(response_headers.get("retry-after", "0")) > 0, context
        if status >= 400 and path.startswith("/api") and method != "HEAD":
            assert response_headers.get("content-type", "").startswith("application/json"), context
            assert isinstance(json.loads(body)["error"], str), context

    one_request()
    fives = sum(count for status, count in seen.items() if status >= 500)
    print(f"\nfuzz: {sum(seen.values())} requests in {time.monotonic() - started:.1f} s, "
          f"5xx seen: {fives}, statuses: {dict(sorted(seen.items()))}")
    assert sum(seen.values()) >= min(EXAMPLES, 1000)


def test_after_the_fuzzing_the_log_holds_no_key(server):
    # Runs after the fuzzing above (same module-scoped server), so the log has every kind
    # of credential in it, the key sent as a Basic user name included.
    gunicorn, key = server
    assert key not in gunicorn.log_text()
