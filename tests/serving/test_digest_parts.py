"""``step`` cuts a digest's window into parts (assurance.md section 14): consecutive
windows of that length from ``from``, the last one shorter when the window is not a
whole number of steps, empty ones included; their rows and checksums add up to the whole."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support import factories as f
from tests.support.factories import at

pytestmark = pytest.mark.django_db

ZERO = "0000000000000000"


def digest(client, feed="transactions", **params) -> dict:
    response = client.get(f"/api/{feed}/digest", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_parts_are_consecutive_from_from_the_last_shorter_and_empty_ones_included(client_with_key):
    f.TransactionFactory(id="a", updated_at=at("2020-10-10 07:00:00"))
    f.TransactionFactory(id="b", updated_at=at("2020-10-10 07:29:59.999999"))
    f.TransactionFactory(id="c", updated_at=at("2020-10-10 08:10:00"))
    answer = digest(client_with_key, **{"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:15:00", "step": "30m"})
    assert [(p["from"], p["to"], p["rows"]) for p in answer["parts"]] == [
        ("2020-10-10 07:00:00", "2020-10-10 07:30:00", 2),
        ("2020-10-10 07:30:00", "2020-10-10 08:00:00", 0),
        ("2020-10-10 08:00:00", "2020-10-10 08:15:00", 1),
    ]
    assert answer["parts"][1]["checksum"] == ZERO
    assert list(answer) == ["feed", "from", "to", "rows", "checksum", "parts"]
    assert all(list(part) == ["from", "to", "rows", "checksum"] for part in answer["parts"])


@pytest.mark.parametrize("step", ["1s", "13s", "5m", "1h", "2h", "1d"])
def test_the_parts_add_up_to_the_whole(client_with_key, step):
    for n in range(40):
        f.TransactionFactory(updated_at=at("2020-10-10 07:00:00") + n * (at("2020-10-10 00:01:31") - at("2020-10-10 00:00:00")))
    window = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}
    whole = digest(client_with_key, **window)
    cut = digest(client_with_key, **window, step=step)
    assert (cut["rows"], cut["checksum"]) == (whole["rows"], whole["checksum"])
    assert sum(part["rows"] for part in cut["parts"]) == whole["rows"] == 40
    assert f"{sum(int(part['checksum'], 16) for part in cut['parts']) % 2**64:016x}" == whole["checksum"]
    # Each part is the digest of its own window.
    for part in cut["parts"][:3] + cut["parts"][-2:]:
        alone = digest(client_with_key, **{"from": part["from"], "to": part["to"]})
        assert (alone["rows"], alone["checksum"]) == (part["rows"], part["checksum"])
    assert cut["parts"][0]["from"] == window["from"] and cut["parts"][-1]["to"] == window["to"]


@pytest.mark.parametrize("step", ["1d", "999999999d"])
def test_a_step_longer_than_the_window_is_one_part_the_whole(client_with_key, step):
    f.GameActionFactory(created_at=at("2020-10-10 07:10:00"))
    answer = digest(client_with_key, "games", **{"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00", "step": step})
    assert answer["parts"] == [{"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00", "rows": 1,
                                "checksum": answer["checksum"]}]


def test_an_empty_window_has_no_parts(client_with_key):
    same = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 07:00:00"}
    assert digest(client_with_key, **same, step="1h") == {
        "feed": "transactions", **same, "rows": 0, "checksum": ZERO, "parts": []
    }


def test_ten_thousand_parts_are_answered(client_with_key):
    f.TransactionFactory(updated_at=at("2020-10-10 09:46:39"))
    answer = digest(client_with_key, **{"from": "2020-10-10 07:00:00", "to": "2020-10-10 09:46:40", "step": "1s"})
    assert len(answer["parts"]) == 10_000
    assert answer["parts"][-1] == {"from": "2020-10-10 09:46:39", "to": "2020-10-10 09:46:40", "rows": 1,
                                   "checksum": answer["checksum"]}


@pytest.mark.parametrize("day", ["0001-01-01", "1969-12-31", "2020-10-10"])
def test_a_row_a_microsecond_before_a_parts_end_is_in_that_part_in_any_year(client_with_key, day):
    f.TransactionFactory(id="last", updated_at=dt.datetime.fromisoformat(f"{day} 00:59:59.999999+00:00"))
    f.TransactionFactory(id="first", updated_at=dt.datetime.fromisoformat(f"{day} 01:00:00+00:00"))
    answer = digest(client_with_key, **{"from": f"{day} 00:00:00", "to": f"{day} 02:00:00", "step": "1h"})
    assert [part["rows"] for part in answer["parts"]] == [1, 1]
    assert (answer["from"], answer["parts"][1]["from"]) == (f"{day} 00:00:00", f"{day} 01:00:00")  # year 1 as 0001
    alone = digest(client_with_key, **{"from": f"{day} 00:00:00", "to": f"{day} 01:00:00"})
    assert answer["parts"][0]["checksum"] == alone["checksum"]


@pytest.mark.postgresql
def test_on_postgresql_a_long_window_is_read_a_day_per_statement_and_adds_up(client_with_key):
    for day in range(1, 4):
        for hour in (0, 12, 23):
            f.TransactionFactory(updated_at=at(f"2020-10-0{day} {hour:02d}:59:59.5"))
    window = {"from": "2020-10-01 12:00:00", "to": "2020-10-04 00:00:00"}  # 2.5 days: 3 statements
    with CaptureQueriesContext(connection) as queries:
        whole = digest(client_with_key, **window)
    assert len([q for q in queries if "sha256" in q["sql"]]) == 3
    days = [digest(client_with_key, **{"from": a, "to": b}) for a, b in (
        ("2020-10-01 12:00:00", "2020-10-02 00:00:00"), ("2020-10-02 00:00:00", "2020-10-04 00:00:00"))]
    assert whole["rows"] == 8 == sum(d["rows"] for d in days)
    assert whole["checksum"] == f"{sum(int(d['checksum'], 16) for d in days) % 2**64:016x}"
    # Parts that a day's end cuts in two (13h parts from 12:00: 01:00, 14:00, 03:00 …) add up too.
    cut = digest(client_with_key, **window, step="13h")
    assert sum(p["rows"] for p in cut["parts"]) == 8 and cut["checksum"] == whole["checksum"]
    for part in cut["parts"]:
        alone = digest(client_with_key, **{"from": part["from"], "to": part["to"]})
        assert (alone["rows"], alone["checksum"]) == (part["rows"], part["checksum"])


@pytest.mark.postgresql
def test_on_postgresql_only_the_stretch_that_holds_rows_is_read(client_with_key):
    f.TransactionFactory(updated_at=at("2020-10-10 07:00:00.5"))
    f.TransactionFactory(updated_at=at("2020-10-10 09:00:00"))
    with CaptureQueriesContext(connection) as queries:
        answer = digest(client_with_key, **{"from": "0001-01-01 00:00:00", "to": "2020-10-11 00:00:00", "step": "365d"})
    assert len([q for q in queries if "sha256" in q["sql"]]) == 1  # not one per day since year 1
    assert answer["rows"] == 2 and answer["parts"][0]["from"] == "0001-01-01 00:00:00"
    assert [p["rows"] for p in answer["parts"] if p["rows"]] == [2]
