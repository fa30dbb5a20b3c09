"""Late or up (assurance.md section 13): at ``now``, a key and feed with an expectation is
late when no complete 200 pull of it *ended* (``started_at + duration_ms``) in
``[now - every - grace, now]``, the moment the expectation was set counting as a pull.
"now" is given, never waited for."""

import datetime as dt

import pytest

from alerts.selectors import expectation_state, expectation_states
from tests.alerts.conftest import pulled
from tests.support.factories import ExpectationFactory, PullFactory, at

pytestmark = pytest.mark.django_db

NOW = at("2024-03-10 07:12:00.250000")
SET = at("2024-03-01 00:00:00")
ONE_US = dt.timedelta(microseconds=1)
# every 10 minutes, grace 2 minutes: the pull must have ended at 07:00:00.25 or later.
DEADLINE = NOW - dt.timedelta(minutes=12)


def state_at(now, **expectation):
    return expectation_state(ExpectationFactory(**{"every": 600, "grace": 120, "set_at": SET, **expectation}), now=now)


def test_a_pull_that_ended_exactly_every_plus_grace_ago_keeps_it_up():
    pulled(ended=DEADLINE)
    assert state_at(NOW).state == "up"


def test_a_microsecond_earlier_it_is_late():
    pulled(ended=DEADLINE - ONE_US)
    assert state_at(NOW).state == "late"


def test_the_end_is_the_start_plus_the_duration_to_the_microsecond():
    # Started well before the deadline, but its last byte went 1 µs after it.
    PullFactory(started_at=DEADLINE - dt.timedelta(seconds=90) + ONE_US, duration_ms=90_000)
    assert state_at(NOW).state == "up"


def test_with_no_grace_it_is_late_once_every_has_passed():
    """``--grace 0s`` is allowed: late as soon as ``every`` passed with no pull."""
    pulled(ended=NOW - dt.timedelta(minutes=10))
    expectation = ExpectationFactory(every=600, grace=0, set_at=SET)
    assert expectation_state(expectation, now=NOW).state == "up"
    assert expectation_state(expectation, now=NOW + ONE_US).state == "late"


def test_a_pull_ending_exactly_now_counts():
    pulled(ended=NOW)
    assert state_at(NOW).state == "up"


def test_the_moment_the_expectation_was_set_counts_as_a_pull():
    assert state_at(NOW, set_at=DEADLINE).state == "up"
    assert state_at(NOW, set_at=DEADLINE - ONE_US, feed="bets").state == "late"


@pytest.mark.parametrize(
    "fields", [{"status": 503}, {"status": 304}, {"complete": False}, {"key_name": "Other"}, {"feed": "bets"}]
)
def test_only_complete_200_pulls_of_that_key_and_feed_count(fields):
    PullFactory(started_at=NOW - dt.timedelta(minutes=1), duration_ms=10, **fields)
    assert state_at(NOW).state == "late"


def test_a_pull_without_a_window_counts_too():
    PullFactory(started_at=NOW - dt.timedelta(minutes=1), window_from=None, window_to=None)
    assert state_at(NOW).state == "up"


def test_last_pull_at_is_the_latest_end_and_last_to_the_greatest_to():
    pulled(ended=at("2024-03-10 07:00:04"), window_from=at("2024-03-10 06:00:00"), window_to=at("2024-03-10 07:00:00"))
    # Started later but ended earlier, with a smaller `to`: neither is the latest.
    pulled(ended=at("2024-03-10 07:00:03"), duration_ms=10, window_from=at("2024-03-10 05:00:00"),
           window_to=at("2024-03-10 06:00:00"))
    # A window pulled again, long after: its end is the last pull, its `to` is not the greatest.
    pulled(ended=at("2024-03-10 07:05:00"), window_from=at("2024-03-10 05:00:00"), window_to=at("2024-03-10 06:00:00"))
    state = state_at(NOW)
    assert (state.last_pull_at, state.last_to) == (at("2024-03-10 07:05:00"), at("2024-03-10 07:00:00"))


def test_a_pull_that_had_not_ended_by_now_does_not_count_yet():
    pulled(ended=NOW + ONE_US)
    state = state_at(NOW)
    assert (state.state, state.last_pull_at) == ("late", None)


def test_gaps_are_those_sync_gaps_lists_for_that_key_and_feed():
    for start, end in [("06:00", "06:10"), ("06:20", "06:30"), ("06:40", "06:50")]:
        PullFactory(window_from=at(f"2024-03-10 {start}:00"), window_to=at(f"2024-03-10 {end}:00"), started_at=NOW)
    PullFactory(key_name="Other", window_from=at("2024-03-10 01:00:00"), window_to=at("2024-03-10 02:00:00"))
    PullFactory(key_name="Other", window_from=at("2024-03-10 03:00:00"), window_to=at("2024-03-10 04:00:00"))
    gaps = state_at(NOW).gaps
    assert [(gap.start, gap.end) for gap in gaps] == [
        (at("2024-03-10 06:10:00"), at("2024-03-10 06:20:00")),
        (at("2024-03-10 06:30:00"), at("2024-03-10 06:40:00")),
    ]


def test_all_states_in_one_read_agree_with_each_ones_own_ordered_by_key_and_feed():
    pulled(ended=NOW - dt.timedelta(minutes=1))
    pulled(ended=NOW - dt.timedelta(hours=1), feed="bets")
    for key, feed in [("InTarget", "users"), ("InTarget", "bets"), ("Another", "users")]:
        ExpectationFactory(key_name=key, feed=feed, every=600, grace=120, set_at=SET)
    states = expectation_states(now=NOW)
    assert [(s.key, s.feed, s.state) for s in states] == [
        ("Another", "users", "late"), ("InTarget", "bets", "late"), ("InTarget", "users", "up"),
    ]
    assert [s.key for s in expectation_states(key="Another", now=NOW)] == ["Another"]
