"""The window contract shared by every feed (feeds.md section 1 and 2)."""

import datetime as dt
import json

import pytest

from feeds.registry import served_feeds
from feeds.stamping import clock
from tests.support.api import response_ids as ids
from tests.support.clock import closed_window, stamping_span
from tests.support.factories import TournamentFactory, TransactionFactory, at

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}


def get(client, feed="transactions", **params):
    return client.get(f"/api/{feed}", {**WINDOW, **params} if params.pop("window", True) else params)


def test_row_stamped_exactly_at_from_is_in_the_window(client_with_key):
    TransactionFactory(id="edge", updated_at=at("2020-10-10 07:00:00"))
    assert ids(get(client_with_key)) == ["edge"]


def test_row_stamped_exactly_at_to_is_in_the_next_window(client_with_key):
    TransactionFactory(id="edge", updated_at=at("2020-10-10 08:00:00"))
    assert ids(get(client_with_key)) == []
    assert ids(get(client_with_key, **{"from": "2020-10-10 08:00:00", "to": "2020-10-10 09:00:00"})) == ["edge"]


def test_row_a_microsecond_before_to_is_in_the_window(client_with_key):
    TransactionFactory(id="last", updated_at=at("2020-10-10 07:59:59.999999"))
    assert ids(get(client_with_key)) == ["last"]


def test_consecutive_windows_serve_every_row_exactly_once(client_with_key):
    stamps = ["06:59:59.9", "07:00:00", "07:30:00", "07:59:59.5", "08:00:00", "08:00:00.1", "08:59:59", "09:00:00"]
    for n, stamp in enumerate(stamps):
        TransactionFactory(id=f"t{n}", updated_at=at(f"2020-10-10 {stamp}"))
    served = []
    for start, end in [("06", "07"), ("07", "08"), ("08", "09"), ("09", "10")]:
        served += ids(get(client_with_key, **{"from": f"2020-10-10 {start}:00:00", "to": f"2020-10-10 {end}:00:00"}))
    assert sorted(served) == sorted(f"t{n}" for n in range(len(stamps)))


@pytest.mark.parametrize(
    "query",
    [
        "from=2020-10-10+07:00:00&to=2020-10-10+08:00:00",
        "from=2020-10-10%2007:00:00&to=2020-10-10%2008:00:00",
        "from=2020-10-10T07:00:00&to=2020-10-10T08:00:00",
        "from=2020-10-10%2B07:00:00&to=2020-10-10T08:00:00",
    ],
)
def test_space_may_arrive_as_plus_percent20_or_T(client_with_key, query):
    TransactionFactory(id="inside", updated_at=at("2020-10-10 07:15:00"))
    TransactionFactory(id="outside", updated_at=at("2020-10-10 08:15:00"))
    assert ids(client_with_key.get(f"/api/transactions?{query}")) == ["inside"]


def test_rows_are_ordered_by_stored_timestamp_then_id(client_with_key):
    # Same whole second: the fraction decides, then the id; never the insertion order.
    TransactionFactory(id="b", updated_at=at("2020-10-10 07:10:00.7"))
    TransactionFactory(id="c", updated_at=at("2020-10-10 07:10:00.2"))
    TransactionFactory(id="a", updated_at=at("2020-10-10 07:10:00.7"))
    TransactionFactory(id="0", updated_at=at("2020-10-10 07:20:00"))
    assert ids(get(client_with_key)) == ["c", "a", "b", "0"]


def test_served_timestamps_are_truncated_not_rounded(client_with_key):
    TransactionFactory(id="t", updated_at=at("2020-10-10 07:59:59.999999"), created_at=at("2020-10-10 07:00:00.6"))
    row = json.loads(b"".join(get(client_with_key, format="json").streaming_content))[0]
    assert row["updated_at"] == "2020-10-10 07:59:59"
    assert row["created_at"] == "2020-10-10 07:00:00"


def test_empty_window_is_a_header_line_in_csv(client_with_key):
    response = get(client_with_key)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content) == (
        b"id,player_id,amount,currency,type,status,payment_system,dir,created_at,updated_at,"
        b"invoice_id,wallet_id,user_agent,ip,requisite,comment\n"
    )


def test_empty_window_is_an_empty_array_in_json(client_with_key):
    response = get(client_with_key, format="json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert b"".join(response.streaming_content) == b"[]"


def test_from_equal_to_is_an_empty_window(client_with_key):
    TransactionFactory(updated_at=at("2020-10-10 07:00:00"))
    assert ids(get(client_with_key, to="2020-10-10 07:00:00")) == []


def test_csv_is_the_default_and_accept_json_selects_json(client_with_key):
    TransactionFactory(id="t", updated_at=at("2020-10-10 07:10:00"))
    assert get(client_with_key)["Content-Type"].startswith("text/csv")
    response = client_with_key.get("/api/transactions", WINDOW, HTTP_ACCEPT="application/json")
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(b"".join(response.streaming_content))[0]["id"] == "t"


def test_format_csv_overrides_accept_json(client_with_key):
    response = client_with_key.get("/api/transactions", {**WINDOW, "format": "csv"}, HTTP_ACCEPT="application/json")
    assert response["Content-Type"].startswith("text/csv")


def test_unknown_format_is_a_400_naming_format(client_with_key):
    response = get(client_with_key, format="xml")
    assert response.status_code == 400
    assert response.json() == {"error": "format must be csv or json; got 'xml'", "param": "format"}


def test_trailing_slash_is_optional_and_not_redirected(client_with_key):
    TransactionFactory(id="t", updated_at=at("2020-10-10 07:10:00"))
    response = client_with_key.get("/api/transactions/", WINDOW)
    assert response.status_code == 200
    assert ids(response) == ["t"]


@pytest.mark.parametrize("param", ["from", "to"])
def test_missing_bound_is_a_400_naming_it(client_with_key, param):
    window = {key: value for key, value in WINDOW.items() if key != param}
    response = client_with_key.get("/api/transactions", window)
    assert response.status_code == 400
    body = response.json()
    assert body["param"] == param
    assert "YYYY-MM-DD HH:MM:SS" in body["error"]


@pytest.mark.parametrize("value", ["yesterday", "2020-10-10", "2020-13-01 00:00:00", "2020-10-10 07:00:00+02:00", "1602313200"])
def test_unparsable_bound_is_a_400_naming_it_and_the_format(client_with_key, value):
    response = get(client_with_key, to=value)
    assert response.status_code == 400
    body = response.json()
    assert body["param"] == "to"
    assert "YYYY-MM-DD HH:MM:SS" in body["error"] and repr(value) in body["error"]


def test_from_after_to_is_a_400(client_with_key):
    response = get(client_with_key, **{"from": "2020-10-10 09:00:00"})
    assert response.status_code == 400
    assert response.json()["param"] == "from"
    assert "later than to" in response.json()["error"]


def test_errors_are_json_even_when_csv_is_negotiated(client_with_key):
    response = client_with_key.get("/api/transactions", {"from": "x", "to": "y"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_unknown_feed_is_a_404_listing_the_feeds(client_with_key):
    response = client_with_key.get("/api/players", WINDOW)
    assert response.status_code == 404
    assert "transactions" in response.json()["error"]


def test_game_actions_are_loaded_but_not_served(client_with_key):
    # The path exists (a push target, POST), so a GET is 405 naming what it answers, not 404.
    response = client_with_key.get("/api/game-actions", WINDOW)
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "not served" in response.json()["error"]


# POST is a push: with a pull key it is refused by the key's direction rule (403,
# tests/access/test_key_rules.py).
@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_only_get_and_head_are_allowed_and_post_a_push(client_with_key, method):
    response = getattr(client_with_key, method)("/api/transactions")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"  # POST: operations.md section 10


def test_head_answers_the_headers_without_a_body(client_with_key):
    TransactionFactory(updated_at=at("2020-10-10 07:10:00"))
    response = client_with_key.head("/api/transactions", WINDOW)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert b"".join(response.streaming_content) == b""


def test_window_ending_in_the_future_is_425_with_retry_after_until_it_ends(client_with_key):
    now = clock()
    end = (now + dt.timedelta(minutes=10)).replace(microsecond=0)
    response = get(client_with_key, to=f"{end:%Y-%m-%d %H:%M:%S}")
    assert response.status_code == 425
    assert 590 <= int(response["Retry-After"]) <= 601
    assert "in the future" in response.json()["error"]


def test_window_that_has_just_ended_is_served(client_with_key):
    with stamping_span() as write:
        TransactionFactory(id="t", updated_at=clock())
    assert ids(get(client_with_key, **closed_window(write))) == ["t"]


@pytest.mark.parametrize("feed", ["tournaments", "sport-events"])
def test_optional_window_feeds_return_everything_without_bounds(client_with_key, feed):
    TournamentFactory(id="old", modified_at=at("2019-01-01 00:00:00"))
    TournamentFactory(id="new", modified_at=at("2020-10-10 07:10:00"))
    response = client_with_key.get(f"/api/{feed}")
    assert response.status_code == 200
    if feed == "tournaments":
        assert ids(response) == ["old", "new"]


@pytest.mark.parametrize("feed", ["tournaments", "sport-events"])
def test_optional_window_feeds_still_need_both_bounds_when_one_is_given(client_with_key, feed):
    response = client_with_key.get(f"/api/{feed}", {"from": "2020-10-10 07:00:00"})
    assert response.status_code == 400
    assert response.json()["param"] == "to"


@pytest.mark.parametrize("feed", sorted(set(served_feeds()) - {"tournaments", "sport-events"}))
def test_every_other_feed_requires_a_window(client_with_key, feed):
    response = client_with_key.get(f"/api/{feed}")
    assert response.status_code == 400
    assert response.json()["param"] == "from"


@pytest.mark.parametrize("feed", sorted(served_feeds()))
def test_every_feed_answers_an_empty_window_in_both_formats(client_with_key, feed):
    csv_body = b"".join(get(client_with_key, feed).streaming_content)
    assert csv_body.endswith(b"\n") and csv_body.count(b"\n") == 1
    assert b"".join(get(client_with_key, feed, format="json").streaming_content) == b"[]"


def test_format_is_case_insensitive(client_with_key):
    response = get(client_with_key, format="JSON")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
