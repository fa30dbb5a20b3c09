"""What other apps know about a console line (a key and a feed) that the pull log does
not: the seam through which they add it, as ``metrics.register_scrape_collector`` lets
them add gauges to /metrics, so that ``operations`` imports none of them.

An app registers a provider at startup (its ``AppConfig.ready``); the console asks every
provider, at each page, for the facts of its lines as of one ``now``. Today there is one
kind, ``ExpectedPull``: the pull a key and feed is expected to complete every so often
(``alerts``, assurance.md section 13). The console decides what a line's state is from
them (``console.line_state``), lists the lines they name though their key and feed
have no pull yet, and puts late ones first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ExpectedPull:
    """A key and feed expected to complete a pull at least every ``every`` seconds, with
    ``grace`` seconds more, and whether it is late (the provider's rule decides)."""

    key: str
    feed: str
    late: bool
    every: int  # seconds
    grace: int  # seconds
    since: dt.datetime  # the moment lateness counts from: the last complete pull's end, or when it was expected
    last_pull_at: dt.datetime | None  # the end of the latest complete pull
    last_to: dt.datetime | None  # the greatest `to` among those pulls


class LineFactsProvider(Protocol):
    def __call__(self, *, now: dt.datetime, key: str | None = None, feed: str | None = None) -> Iterable[ExpectedPull]:
        """The facts of every line, or of one key's lines, or of one key and feed, as of ``now``."""
        ...


PROVIDERS: list[Callable[..., Iterable[ExpectedPull]]] = []


def register_line_facts(provider: LineFactsProvider) -> None:
    """Ask ``provider`` at every console page (once, however often ``ready`` runs)."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def line_facts(*, now: dt.datetime, key: str | None = None, feed: str | None = None) -> dict[tuple[str, str], ExpectedPull]:
    """Every provider's facts by (key, feed), of one key and feed when both are given."""
    facts: dict[tuple[str, str], ExpectedPull] = {}
    for provider in PROVIDERS:
        for fact in provider(now=now, key=key, feed=feed):
            if feed is None or fact.feed == feed:
                facts[fact.key, fact.feed] = fact
    return facts
