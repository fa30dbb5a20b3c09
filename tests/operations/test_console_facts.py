"""A console line's state is decided in one place (``console.line_state``), from its last
pull and, when another app registered one (``console_facts.register_line_facts``), its
expected pull: late or up by that app's rule, with what is expected."""

import datetime as dt

import pytest

from operations.console import line_state
from operations.console_facts import PROVIDERS, ExpectedPull, line_facts, register_line_facts
from tests.support.factories import PullFactory, at

NOW = at("2026-12-01 12:30:00")


def expected(*, late: bool, since: dt.datetime, last_pull_at: dt.datetime | None = None) -> ExpectedPull:
    return ExpectedPull(key="InTarget", feed="users", late=late, every=300, grace=600, since=since,
                        last_pull_at=last_pull_at, last_to=None)


@pytest.mark.django_db
def test_an_expectation_decides_up_or_late_over_how_the_last_pull_went():
    whole = PullFactory(started_at=at("2026-12-01 12:10:00"))
    failed = PullFactory(started_at=at("2026-12-01 12:28:00"), status=503)
    assert line_state(whole).word == "pulling"
    up = line_state(failed, expected(late=False, since=at("2026-12-01 12:20:00")), now=NOW)
    assert (up.word, up.css, up.detail, up.expected) == (
        "up", "up", "last pull 2026-12-01 12:28:00 UTC, answered 503", "expected every 5m + 10m grace"
    )
    late = line_state(whole, expected(late=True, since=at("2026-12-01 12:10:00"), last_pull_at=at("2026-12-01 12:10:00")),
                      now=NOW)
    assert (late.word, late.late, late.detail) == ("late", True, "no complete pull for 20 min")


def test_late_and_never_pulled_counts_from_when_it_was_expected():
    late = line_state(None, expected(late=True, since=at("2026-12-01 09:00:00")), now=NOW)
    assert late.detail == "no complete pull in the 3 h 30 min since it was expected"
    assert not line_state(None).late


def test_a_provider_is_asked_once_however_often_it_is_registered_and_for_one_line_on_a_page(monkeypatch):
    monkeypatch.setattr("operations.console_facts.PROVIDERS", [])
    asked = []

    def provider(*, now, key=None, feed=None):
        asked.append((key, feed))
        return [expected(late=True, since=now), ExpectedPull("InTarget", "bets", False, 60, 0, now, None, None)]

    register_line_facts(provider)
    register_line_facts(provider)
    assert list(line_facts(now=NOW)) == [("InTarget", "users"), ("InTarget", "bets")]
    assert list(line_facts(now=NOW, key="InTarget", feed="bets")) == [("InTarget", "bets")]
    assert asked == [(None, None), ("InTarget", "bets")]
    # The service's own list, untouched: alerts registered its expectations at startup.
    assert [p.__module__ for p in PROVIDERS] == ["alerts.console_facts"]
