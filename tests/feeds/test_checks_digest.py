"""The digest's system checks (feeds/checks.py): a served feed's digest names columns it
serves, of kinds both databases write as exact CSV text in SQL, and a window column that
is an indexed timestamp of the model it reads."""

import dataclasses

from feeds import checks as feed_checks
from feeds.registry import Digest, registry
from tests.support.digests import FIELDS


def errors_for(monkeypatch, *feeds):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(feed_checks, "registry", lambda: {feed.name: feed for feed in feeds})
    return [error.id for error in feed_checks.check_feeds()]


def test_every_served_feed_digests_the_fields_the_contract_lists():
    # deletions: its feed, id and deleted_at, placed by deleted_at (assurance.md section 14).
    contract = {**FIELDS, "deletions": ("feed", "id", "deleted_at")}
    digested = {name: tuple(c.name for c in feed.digest_columns()) for name, feed in registry().items() if feed.served}
    assert digested == contract
    assert {name: feed.digest_window().name for name, feed in registry().items() if feed.served} == {
        **{name: fields[1] for name, fields in FIELDS.items()}, "deletions": "deleted_at"
    }


def test_a_digest_naming_a_column_the_feed_does_not_serve_fails(monkeypatch):
    bets = dataclasses.replace(registry()["bets"], digest=Digest(("id", "placed_at")))
    assert errors_for(monkeypatch, bets) == ["intarget_export.E007"]


def test_a_digest_of_a_money_column_fails_since_sqlite_cannot_write_its_text(monkeypatch):
    wallets = dataclasses.replace(registry()["wallets"], digest=Digest(("id", "modified_at", "balance")))
    assert errors_for(monkeypatch, wallets) == ["intarget_export.E008"]


def test_a_digest_window_that_is_no_indexed_timestamp_fails(monkeypatch):
    unindexed = dataclasses.replace(registry()["wallets"], digest=Digest(window="created_at"))
    not_a_time = dataclasses.replace(registry()["wallets"], digest=Digest(window="id"))
    assert errors_for(monkeypatch, unindexed) == ["intarget_export.E009"]
    assert errors_for(monkeypatch, not_a_time) == ["intarget_export.E009"]
