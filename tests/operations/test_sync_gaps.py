"""``manage.py sync_gaps`` (operations.md section 8): what no complete 200 pull covered,
between a key's earliest ``from`` and latest ``to`` of a feed."""

import io
import json

import pytest
from django.core.management import call_command

from tests.support.factories import PullFactory, at

pytestmark = pytest.mark.django_db


def pulled(key: str, feed: str, start: str, end: str, **fields):
    return PullFactory(key_name=key, feed=feed, window_from=at(start), window_to=at(end), **fields)


def gaps(*options: str) -> list[str]:
    out = io.StringIO()
    call_command("sync_gaps", *options, stdout=out)
    return out.getvalue().splitlines()


def test_consecutive_windows_leave_no_gap():
    pulled("a", "users", "2026-12-01 10:00:00", "2026-12-01 10:01:00")
    pulled("a", "users", "2026-12-01 10:01:00", "2026-12-01 10:02:00")
    assert gaps() == ["key,feed,from,to"]


def test_a_skipped_window_is_a_gap():
    pulled("a", "users", "2026-12-01 10:00:00", "2026-12-01 10:01:00")
    pulled("a", "users", "2026-12-01 10:02:00", "2026-12-01 10:03:00")
    assert gaps() == ["key,feed,from,to", "a,users,2026-12-01 10:01:00,2026-12-01 10:02:00"]


def test_overlapping_and_repeated_pulls_are_fine_and_only_holes_count():
    pulled("a", "users", "2026-12-01 10:00:00", "2026-12-01 11:00:00")
    pulled("a", "users", "2026-12-01 10:30:00", "2026-12-01 10:40:00")  # inside the first
    pulled("a", "users", "2026-12-01 10:59:00", "2026-12-01 12:00:00")  # overlaps its end
    pulled("a", "users", "2026-12-01 10:59:00", "2026-12-01 12:00:00")  # again
    pulled("a", "users", "2026-12-01 12:30:00", "2026-12-01 13:00:00")
    assert gaps()[1:] == ["a,users,2026-12-01 12:00:00,2026-12-01 12:30:00"]


def test_pulls_that_failed_or_broke_cover_nothing():
    pulled("a", "users", "2026-12-01 10:00:00", "2026-12-01 10:01:00")
    pulled("a", "users", "2026-12-01 10:01:00", "2026-12-01 10:02:00", status=503)
    pulled("a", "users", "2026-12-01 10:02:00", "2026-12-01 10:03:00", complete=False)
    pulled("a", "users", "2026-12-01 10:03:00", "2026-12-01 10:04:00")
    assert gaps()[1:] == ["a,users,2026-12-01 10:01:00,2026-12-01 10:03:00"]


def test_gaps_are_per_key_and_feed_ordered_by_key_feed_and_from():
    for key in ("b", "a"):
        for feed in ("users", "bets"):
            pulled(key, feed, "2026-12-01 10:00:00", "2026-12-01 10:01:00")
            pulled(key, feed, "2026-12-01 10:05:00", "2026-12-01 10:06:00")
            pulled(key, feed, "2026-12-01 10:02:00", "2026-12-01 10:03:00")
    pulled("c", "users", "2026-12-01 10:00:00", "2026-12-01 10:01:00")  # one pull: no hole
    lines = gaps()[1:]
    assert lines == [
        f"{key},{feed},{start},{end}"
        for key in ("a", "b")
        for feed in ("bets", "users")
        for start, end in (("2026-12-01 10:01:00", "2026-12-01 10:02:00"), ("2026-12-01 10:03:00", "2026-12-01 10:05:00"))
    ]
    assert gaps("--key", "a", "--feed", "users")[1:] == lines[2:4]
    assert json.loads("".join(gaps("--key", "b", "--feed", "bets", "--format", "json")))[0] == {
        "key": "b", "feed": "bets", "from": "2026-12-01 10:01:00", "to": "2026-12-01 10:02:00"
    }


def test_an_empty_window_inside_a_hole_leaves_one_gap():
    pulled("a", "users", "2026-12-01 10:00:00", "2026-12-01 10:01:00")
    pulled("a", "users", "2026-12-01 10:01:30", "2026-12-01 10:01:30")  # from == to: no rows, covers nothing
    pulled("a", "users", "2026-12-01 10:03:00", "2026-12-01 10:04:00")
    assert gaps()[1:] == ["a,users,2026-12-01 10:01:00,2026-12-01 10:03:00"]
