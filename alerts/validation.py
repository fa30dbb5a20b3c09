"""The one check of an expectation, for ``expect_pulls`` and the admin alike: the key
name, the feeds and the durations. Each refusal is a ValidationError naming the bad
value; its ``code`` says which part ("key", "feeds", "every", "grace"), so that the
command names its option and the admin its field. An unknown key name or feed is
refused as every command refuses one (``lib/known_names.py``: the nearest known name
and the list), through the shared checks of ``access`` and ``feeds``."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from access.key_names import api_key_name
from alerts.key_names import expected_key_name
from alerts.models import Expectation
from alerts.selectors import feeds_pullable
from feeds.feed_names import feed_name
from feeds.registry import served_feeds
from lib.durations import parse_duration

NO_PULL_KEY = "no active pull key is named {name!r}: its keys are revoked, expired or push keys"
NOT_PULLABLE = "the keys named {name!r} may not pull {feed!r}; they may pull: {feeds}"
NO_FEEDS = "expected one or more feed names, comma-separated"


@dataclass(frozen=True)
class Expected:
    key_name: str
    feeds: tuple[str, ...]
    every: int
    grace: int


def listed(feeds: Sequence[str]) -> str:
    return ", ".join(feeds) or "none"


@contextmanager
def refused_as(part: str) -> Iterator[None]:
    """A name refused by the commands' shared check (``lib/known_names.py``: the name, the
    nearest known one, the list) as this module's refusals are: a ValidationError of that
    part, which the admin shows on its field too."""
    try:
        yield
    except CommandError as error:
        raise ValidationError(str(error), code=part) from None


def clean_key_name(key_name: str) -> list[str]:
    """The feeds the keys of that name may pull; refused when no key has that name, or
    none of them is an active pull key."""
    with refused_as("key"):
        api_key_name(key_name)
    pullable = feeds_pullable(key_name)
    if not pullable:
        raise ValidationError(NO_PULL_KEY.format(name=key_name), code="key")
    return pullable


def clean_feeds(feeds: Sequence[str], *, key_name: str, known: Collection[str], allowed: Collection[str]) -> tuple[str, ...]:
    """``feeds`` without repeats: each one of ``known`` (else refused as an unknown feed
    name, as every command refuses one) and of ``allowed``, else refused naming the feeds
    the keys of that name may pull."""
    if not feeds:
        raise ValidationError(NO_FEEDS, code="feeds")
    for feed in feeds:
        with refused_as("feeds"):
            feed_name(feed, among=known, option=None, what="served feed")
        if feed not in allowed:
            pullable = feeds_pullable(key_name)
            raise ValidationError(NOT_PULLABLE.format(name=key_name, feed=feed, feeds=listed(pullable)), code="feeds")
    return tuple(dict.fromkeys(feeds))


def clean_expectation(
    *, key_name: str, feeds: Sequence[str] | None, every: str, grace: str | None = None
) -> Expected:
    """What to set: the key name, its feeds (``None``: every feed its keys may pull) and
    ``every`` and ``grace`` in seconds (``grace`` defaults to ``every``)."""
    pullable = clean_key_name(key_name)
    chosen = tuple(pullable) if feeds is None else clean_feeds(
        feeds, key_name=key_name, known=list(served_feeds()), allowed=pullable
    )
    # A pull every 0 s cannot be; a grace of none is allowed: late the moment `every` has
    # passed.
    every_seconds = clean_duration(every, "every", allow_zero=False)
    grace_seconds = every_seconds if grace is None else clean_duration(grace, "grace", allow_zero=True)
    return Expected(key_name, chosen, every_seconds, grace_seconds)


def clean_duration(text: str, part: str, *, allow_zero: bool) -> int:
    try:
        return parse_duration(text, allow_zero=allow_zero)
    except ValueError as error:
        raise ValidationError(str(error), code=part) from None


def clean_removal(*, key_name: str, feeds: Sequence[str] | None) -> tuple[str, ...] | None:
    """The feeds whose expectations to remove (``None``: all of that key name's). A key
    name is known when a key has it or an expectation does (its keys may have been
    renamed or deleted since); a feed, when it has an expectation or those keys may
    pull it."""
    with refused_as("key"):
        expected_key_name(key_name, option=None)
    if feeds is None:
        return None
    expected = list(Expectation.objects.filter(key_name=key_name).values_list("feed", flat=True))
    # A feed no longer served keeps its expectation until it is removed.
    known = [*served_feeds(), *(feed for feed in expected if feed not in served_feeds())]
    return clean_feeds(feeds, key_name=key_name, known=known, allowed={*expected, *feeds_pullable(key_name)})
