"""The feeds' system checks: a feed with a reader of its own says in which order its rows
come (the streams tune the query for it); one without cannot claim an order of its own."""

import dataclasses

import pytest

from feeds import checks as feed_checks
from feeds.registry import registry


def errors_for(monkeypatch, *feeds):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(feed_checks, "registry", lambda: {feed.name: feed for feed in feeds})
    return [error.id for error in feed_checks.check_feeds()]


def test_the_shipped_feeds_pass():
    assert feed_checks.check_feeds() == []


def test_the_games_feed_says_it_orders_its_own_rows():
    assert registry()["games"].orders_own_rows is True
    assert not any(feed.orders_own_rows for name, feed in registry().items() if name != "games")


@pytest.mark.parametrize("declared", [True, False])
def test_a_reader_that_declares_its_order_passes(monkeypatch, declared):
    games = dataclasses.replace(registry()["games"], orders_own_rows=declared)
    assert errors_for(monkeypatch, games) == []


def test_a_reader_that_does_not_declare_its_order_fails(monkeypatch):
    games = dataclasses.replace(registry()["games"], orders_own_rows=None)
    assert errors_for(monkeypatch, games) == ["intarget_export.E005"]


def test_a_feed_without_a_reader_cannot_order_its_own_rows(monkeypatch):
    logins = dataclasses.replace(registry()["logins"], orders_own_rows=True)
    assert errors_for(monkeypatch, logins) == ["intarget_export.E006"]
    assert errors_for(monkeypatch, dataclasses.replace(logins, orders_own_rows=False)) == []
