"""A bad ``step``, or one that cuts the window into more than 10,000 parts, is a 400
naming ``step`` (assurance.md section 14); so is a step without a window to cut."""

import pytest

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}


def refused(client, feed="transactions", **params) -> dict:
    response = client.get(f"/api/{feed}/digest", params)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["param"] == "step", body
    return body


@pytest.mark.parametrize("step", ["0s", "5", "1w", "1.5h", "-1h", "1 h", "h", "1H", "1m30s", "PT1H", "1" * 5000 + "s"])
def test_a_step_that_is_not_a_duration_is_a_400_naming_step_and_the_form(client_with_key, step):
    body = refused(client_with_key, **WINDOW, step=step)
    assert body["error"] == (
        f"step must be a whole number followed by s, m, h or d (30s, 5m, 1h, 1d), at least 1s; got {step!r}"
    )


@pytest.mark.parametrize("step", ["1h", "3601s", "10000000000s", "99999999999999999999999999d"])
def test_a_step_as_long_as_the_window_or_longer_is_one_part(client_with_key, step):
    answer = client_with_key.get("/api/transactions/digest", {**WINDOW, "step": step})
    assert answer.status_code == 200, answer.content
    assert [(part["from"], part["to"]) for part in answer.json()["parts"]] == [(WINDOW["from"], WINDOW["to"])]


def test_more_than_ten_thousand_parts_is_a_400_saying_the_shortest_step_that_fits(client_with_key):
    body = refused(client_with_key, **{"from": "2020-10-10 07:00:00", "to": "2020-10-10 09:46:41"}, step="1s")
    assert body["error"] == (
        "step 1s cuts this window into 10001 parts, more than 10000: take a step of at least 2s, or a shorter window"
    )
    year = {"from": "2020-01-01 00:00:00", "to": "2021-01-01 00:00:00"}
    assert "at least 3163s" in refused(client_with_key, **year, step="30m")["error"]
    assert client_with_key.get("/api/transactions/digest", {**year, "step": "1h"}).status_code == 200


def test_a_step_without_a_window_is_a_400_naming_step(client_with_key):
    body = refused(client_with_key, "tournaments", step="1h")
    assert "give from and to" in body["error"]


def test_a_bad_window_is_named_before_the_step(client_with_key):
    response = client_with_key.get("/api/transactions/digest", {"from": "yesterday", "to": WINDOW["to"], "step": "x"})
    assert response.status_code == 400 and response.json()["param"] == "from"


def test_an_empty_step_counts_as_absent(client_with_key):
    response = client_with_key.get("/api/transactions/digest", {**WINDOW, "step": ""})
    assert response.status_code == 200 and "parts" not in response.json()
