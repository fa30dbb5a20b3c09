"""Every expectation's state is read at once (``states_of``): the latest pulls of all of
them in one grouped query and their gaps in one pass of ``sync_gaps``, whatever their
number, with the answers each expectation's own read gives. The scrape, ``pull_status``
and each check of ``send_alerts`` read them so, and the admin's list of expectations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alerts.models import Expectation
from alerts.selectors import expectation_state, expectation_states, states_of
from alerts.services import expectations_check
from tests.alerts.conftest import pulled
from tests.support.factories import ExpectationFactory, PullFactory, at

pytestmark = pytest.mark.django_db

NOW = at("2024-03-10 07:12:00")
SET = at("2024-03-01 00:00:00")
LINES = [("InTarget", "users"), ("InTarget", "bets"), ("Another", "users"), ("Another", "logins")]


def with_gaps(key: str, feed: str, *, last: str) -> None:
    """Three windows of 10 minutes, a gap after each of the first two; the last ended at ``last``."""
    for start, end in [("06:00", "06:10"), ("06:20", "06:30"), ("06:40", "06:50")]:
        pulled(key=key, feed=feed, ended=at(f"2024-03-10 {last if end == '06:50' else end}:05"),
               window_from=at(f"2024-03-10 {start}:00"), window_to=at(f"2024-03-10 {end}:00"))


def pull_log_reads(read) -> int:
    with CaptureQueriesContext(connection) as queries:
        read()
    return sum('"operations_pull"' in query["sql"] for query in queries)


def test_the_states_of_many_expectations_are_those_of_each_read_alone():
    with_gaps("InTarget", "users", last="07:05")
    with_gaps("Another", "users", last="06:50")
    PullFactory(feed="bets", started_at=at("2024-03-10 07:11:00"), window_from=None, window_to=None)
    for key, feed in LINES:
        ExpectationFactory(key_name=key, feed=feed, every=600, grace=120, set_at=SET)
    states = expectation_states(now=NOW)
    assert states == [expectation_state(expectation, now=NOW) for expectation in Expectation.objects.order_by(
        "key_name", "feed")]
    assert [(s.key, s.feed, s.state, len(s.gaps)) for s in states] == [
        ("Another", "logins", "late", 0), ("Another", "users", "late", 2),
        ("InTarget", "bets", "up", 0), ("InTarget", "users", "up", 2),
    ]


def test_two_reads_of_the_pull_log_whatever_the_number_of_expectations():
    for key, feed in LINES:
        with_gaps(key, feed, last="07:05")
    ExpectationFactory(key_name="InTarget", feed="users", every=600, grace=120, set_at=SET)
    one = Expectation.objects.all()
    assert pull_log_reads(lambda: states_of(list(one), now=NOW)) == 2
    for key, feed in LINES[1:]:
        ExpectationFactory(key_name=key, feed=feed, every=600, grace=120, set_at=SET)
    assert pull_log_reads(lambda: states_of(list(Expectation.objects.all()), now=NOW)) == 2
    assert pull_log_reads(lambda: expectation_states(now=NOW, gaps=False)) == 1


def test_a_check_reads_the_pull_log_twice_however_many_it_checks():
    for key, feed in LINES:
        with_gaps(key, feed, last="06:50")
        ExpectationFactory(key_name=key, feed=feed, every=600, grace=120, set_at=SET)
    assert pull_log_reads(lambda: expectations_check(now=NOW)) == 2
    assert {e.notified_state for e in Expectation.objects.all()} == {"late"}
    later = NOW + dt.timedelta(minutes=1)
    assert pull_log_reads(lambda: expectations_check(now=later)) == 2


def test_the_admins_list_reads_the_pull_log_twice_however_many_rows_it_shows(admin_client):
    for key, feed in LINES:
        with_gaps(key, feed, last="07:05")
        ExpectationFactory(key_name=key, feed=feed, every=600, grace=120, set_at=SET)
    url = reverse("admin:alerts_expectation_changelist")
    assert pull_log_reads(lambda: admin_client.get(url)) == 2
