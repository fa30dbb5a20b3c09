"""Every feed request of a recognised key is recorded once it ends (operations.md
section 8): rows and bytes as sent, the window, the status, whether the body was sent to
its end. Runs on the portable path (SQLite) and the COPY path (PostgreSQL)."""

import pytest
from rest_framework.test import APIClient

from operations.models import Pull
from tests.support.factories import TransactionFactory, at, issue_key

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}


def client(secret: str, **extra) -> APIClient:
    api = APIClient(REMOTE_ADDR="203.0.113.7", **extra)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api


def sent(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("format", ["csv", "json"])
def test_a_served_window_is_recorded_with_its_rows_bytes_and_window(format):
    for n in range(3):
        TransactionFactory(id=f"t{n}", updated_at=at(f"2020-10-10 07:1{n}:00"), comment="line\nbreak")
    TransactionFactory(id="outside", updated_at=at("2020-10-10 08:00:00"))
    key, secret = issue_key("InTarget")
    body = sent(client(secret).get("/api/transactions", {**WINDOW, "format": format}))
    pull = Pull.objects.get()
    assert (pull.key_name, pull.api_key, pull.feed, pull.format) == ("InTarget", key, "transactions", format)
    assert (pull.window_from, pull.window_to) == (at("2020-10-10 07:00:00"), at("2020-10-10 08:00:00"))
    assert (pull.status, pull.rows, pull.bytes, pull.complete) == (200, 3, len(body), True)
    assert pull.client == "203.0.113.7"
    assert pull.duration_ms >= 0


def test_an_empty_window_is_recorded_with_no_rows():
    _, secret = issue_key()
    body = sent(client(secret).get("/api/users", WINDOW))
    pull = Pull.objects.get()
    assert (pull.rows, pull.bytes, pull.complete) == (0, len(body), True)


def test_a_feed_without_a_window_is_recorded_with_empty_bounds():
    _, secret = issue_key()
    sent(client(secret).get("/api/tournaments"))
    pull = Pull.objects.get()
    assert (pull.window_from, pull.window_to, pull.status) == (None, None, 200)


# Committing: closing an answer by hand sends request_finished, which may close the
# test's database connection (Django's test client reconnects the signal on the way).
@pytest.mark.django_db(transaction=True)
def test_an_answer_not_sent_to_its_end_is_recorded_as_incomplete():
    for n in range(3):
        TransactionFactory(id=f"t{n}", updated_at=at(f"2020-10-10 07:1{n}:00"))
    _, secret = issue_key()
    response = client(secret).get("/api/transactions", WINDOW)
    next(iter(response.streaming_content))  # the client reads the first chunk, then goes away
    response.close()
    pull = Pull.objects.get()
    assert pull.complete is False
    assert 0 < pull.bytes


@pytest.mark.parametrize(
    "params, status",
    [({"from": "yesterday", "to": "2020-10-10 08:00:00"}, 400), ({"from": "2999-01-01 00:00:00", "to": "2999-01-01 01:00:00"}, 425)],
)
def test_refused_requests_of_a_key_are_recorded_with_their_status(params, status):
    _, secret = issue_key()
    response = client(secret).get("/api/users", params)
    assert response.status_code == status
    pull = Pull.objects.get()
    assert (pull.status, pull.rows, pull.complete) == (status, 0, True)
    assert pull.bytes == len(response.content) > 0


def test_a_request_refused_by_the_keys_rules_is_recorded():
    _, secret = issue_key("scoped", feeds=["users"])
    assert client(secret).get("/api/transactions", WINDOW).status_code == 403
    assert Pull.objects.get().status == 403


def test_requests_without_a_recognised_key_are_not_recorded():
    APIClient().get("/api/users", WINDOW)
    APIClient().get("/api/users", WINDOW, HTTP_AUTHORIZATION="Bearer ie_nonsense")
    assert not Pull.objects.exists()


def test_a_pull_over_http_1_0_is_recorded_with_its_length():
    TransactionFactory(id="t1", updated_at=at("2020-10-10 07:10:00"))
    _, secret = issue_key()
    response = client(secret, SERVER_PROTOCOL="HTTP/1.0").get("/api/transactions", WINDOW)
    body = sent(response)
    assert int(response["Content-Length"]) == len(body)
    pull = Pull.objects.get()
    assert (pull.rows, pull.bytes, pull.complete) == (1, len(body), True)


def test_a_head_request_is_recorded_as_no_window_received():
    TransactionFactory(id="t0", updated_at=at("2020-10-10 07:10:00"))
    _, secret = issue_key("InTarget")
    response = client(secret).head("/api/transactions", WINDOW)
    assert response.status_code == 200
    sent(response)
    pull = Pull.objects.get()
    assert (pull.status, pull.rows, pull.bytes, pull.complete) == (200, 0, 0, False)
    assert not Pull.objects.complete_windows().exists()  # so sync_gaps never counts it


@pytest.mark.parametrize(
    "params, logged",
    [
        ({"from": "2024-03-10 00:00:00"}, ("2024-03-10 00:00:00", "")),
        ({"from": "yesterday", "to": "2020-10-10 08:00:00"}, ("yesterday", "2020-10-10 08:00:00")),
        ({"to": "2020-10-10 08:00:00.5"}, ("", "2020-10-10 08:00:00.5")),
        ({"from": "x" * 5000, "to": ""}, ("x" * 64, "")),
    ],
    ids=["no-to", "bad-from", "fraction", "long"],
)
def test_a_refused_window_is_recorded_as_the_request_sent_it(params, logged):
    """operations.md section 8: `from`/`to` are empty only when the request had none."""
    _, secret = issue_key()
    assert client(secret).get("/api/transactions", params).status_code == 400
    pull = Pull.objects.get()
    assert (pull.window_from, pull.window_to, pull.status) == (None, None, 400)
    assert (pull.from_sent, pull.to_sent) == logged
    assert (pull.from_text, pull.to_text) == logged


def test_a_served_window_shows_its_bounds_as_read():
    _, secret = issue_key()
    sent(client(secret).get("/api/transactions", {"from": "2020-10-10T07:00:00Z", "to": "2020-10-10 08:00:00+00:00"}))
    pull = Pull.objects.get()
    assert (pull.from_sent, pull.to_sent) == ("2020-10-10T07:00:00Z", "2020-10-10 08:00:00+00:00")
    assert (pull.from_text, pull.to_text) == ("2020-10-10 07:00:00", "2020-10-10 08:00:00")
