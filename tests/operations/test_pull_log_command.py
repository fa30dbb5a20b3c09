"""``manage.py pull_log`` (operations.md section 8): entries oldest first, exact header."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.support.factories import PullFactory, at

pytestmark = pytest.mark.django_db

HEADER = "started_at,key,feed,from,to,format,status,rows,bytes,duration_ms,client,complete"


def pull_log(*options: str) -> str:
    out = io.StringIO()
    call_command("pull_log", *options, stdout=out)
    return out.getvalue()


def test_entries_are_printed_oldest_first_under_the_exact_header():
    PullFactory(started_at=at("2026-12-01 10:05:00.7"), feed="transactions", rows=3, bytes=400, duration_ms=9)
    PullFactory(
        started_at=at("2026-12-01 10:00:00"), key_name="InTarget, staging", feed="tournaments",
        window_from=None, window_to=None, status=503, rows=0, bytes=120, complete=False, format="json",
    )
    assert pull_log().splitlines() == [
        HEADER,
        '2026-12-01 10:00:00,"InTarget, staging",tournaments,,,json,503,0,120,12,203.0.113.7,false',
        "2026-12-01 10:05:00,InTarget,transactions,2026-12-01 09:05:00,2026-12-01 10:05:00,csv,200,3,400,9,203.0.113.7,true",
    ]


def test_entries_are_narrowed_by_key_feed_and_since():
    PullFactory(started_at=at("2026-12-01 10:00:00"), key_name="a", feed="users")
    PullFactory(started_at=at("2026-12-01 11:00:00"), key_name="a", feed="bets")
    PullFactory(started_at=at("2026-12-01 12:00:00"), key_name="b", feed="users")
    assert [line.split(",")[1:3] for line in pull_log("--key", "a").splitlines()[1:]] == [["a", "users"], ["a", "bets"]]
    assert [line.split(",")[1] for line in pull_log("--feed", "users").splitlines()[1:]] == ["a", "b"]
    since = pull_log("--since", "2026-12-01 11:00:00").splitlines()[1:]
    assert [line.split(",")[0] for line in since] == ["2026-12-01 11:00:00", "2026-12-01 12:00:00"]


def test_json_has_the_same_keys_with_typed_values():
    PullFactory(started_at=at("2026-12-01 10:00:00"), window_from=None, window_to=None, complete=False)
    (entry,) = json.loads(pull_log("--format", "json"))
    assert list(entry) == HEADER.split(",")
    assert entry["from"] is None and entry["to"] is None
    assert entry["complete"] is False and entry["status"] == 200 and entry["rows"] == 10


def test_no_entries_is_the_header_alone():
    assert pull_log() == HEADER + "\n"
    assert json.loads(pull_log("--format", "json")) == []


def test_a_bad_since_is_refused_by_name():
    with pytest.raises(CommandError, match="--since"):
        pull_log("--since", "yesterday")


def test_a_refused_window_is_printed_as_the_request_sent_it():
    PullFactory(
        started_at=at("2026-12-01 10:00:00"), feed="transactions", window_from=None, window_to=None,
        from_sent="2024-03-10 00:00:00", to_sent="", status=400, rows=0, bytes=90,
    )
    assert pull_log().splitlines()[1].startswith("2026-12-01 10:00:00,InTarget,transactions,2024-03-10 00:00:00,,csv,400,")


def test_json_is_one_object_per_line_each_but_the_last_ending_in_a_comma():
    """Written as entries are read (the log may be millions of rows), and valid JSON: no
    comma on a line of its own (issue 19)."""
    for minute in ("00", "01", "02"):
        PullFactory(started_at=at(f"2026-12-01 10:{minute}:00"))
    text = pull_log("--format", "json")
    lines = text.splitlines()
    assert (lines[0], lines[-1]) == ("[", "]")
    assert [line[-1] for line in lines[1:-1]] == [",", ",", "}"]
    assert [json.loads(line.rstrip(","))["started_at"] for line in lines[1:-1]] == [
        "2026-12-01 10:00:00", "2026-12-01 10:01:00", "2026-12-01 10:02:00",
    ]
    assert len(json.loads(text)) == 3
