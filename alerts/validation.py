"""The one check of an expectation, for ``expect_pulls`` and the admin alike: the key
name, the feeds and the durations. Each refusal is a ValidationError naming the bad
value; its ``code`` says which part ("key", "feeds", "every", "grace"), so that the
command names its option and the admin its field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from access.models import ApiKey
from alerts.durations import parse_duration
from alerts.models import Expectation
from alerts.selectors import feeds_pullable
from feeds.registry import served_feeds

UNKNOWN_KEY = "unknown key name {name!r}: no API key has that name (create_api_key, or the admin's API keys)"
UNKNOWN_EXPECTED_KEY = "unknown key name {name!r}: no API key and no expected pull has that name"
NO_PULL_KEY = "no active pull key is named {name!r}: its keys are revoked, expired or push keys"
NOT_PULLABLE = "the keys named {name!r} may not pull {feed!r}; they may pull: {feeds}"
UNKNOWN_FEED = "unknown feed {feed!r}; the keys named {name!r} may pull: {feeds}"
NO_FEEDS = "expected one or more feed names, comma-separated"
ZERO_EVERY = "expected a duration above 0, got {text!r}"


@dataclass(frozen=True)
class Expected:
    key_name: str
    feeds: tuple[str, ...]
    every: int
    grace: int


def listed(feeds: Sequence[str]) -> str:
    return ", ".join(feeds) or "none"


def clean_key_name(key_name: str) -> list[str]:
    """The feeds the keys of that name may pull; refused when no active pull key has it."""
    pullable = feeds_pullable(key_name)
    if not pullable:
        message = NO_PULL_KEY if ApiKey.objects.filter(name=key_name).exists() else UNKNOWN_KEY
        raise ValidationError(message.format(name=key_name), code="key")
    return pullable


def clean_expectation(
    *, key_name: str, feeds: Sequence[str] | None, every: str, grace: str | None = None
) -> Expected:
    """What to set: the key name, its feeds (``None``: every feed its keys may pull) and
    ``every`` and ``grace`` in seconds (``grace`` defaults to ``every``)."""
    pullable = clean_key_name(key_name)
    if feeds is not None:
        if not feeds:
            raise ValidationError(NO_FEEDS, code="feeds")
        for feed in feeds:
            if feed not in pullable:
                message = NOT_PULLABLE if feed in served_feeds() else UNKNOWN_FEED
                raise ValidationError(message.format(name=key_name, feed=feed, feeds=listed(pullable)), code="feeds")
    every_seconds = clean_duration(every, "every")
    if every_seconds == 0:
        raise ValidationError(ZERO_EVERY.format(text=every), code="every")
    grace_seconds = every_seconds if grace is None else clean_duration(grace, "grace")
    chosen = pullable if feeds is None else list(dict.fromkeys(feeds))
    return Expected(key_name, tuple(chosen), every_seconds, grace_seconds)


def clean_duration(text: str, part: str) -> int:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise ValidationError(str(error), code=part) from None


def clean_removal(*, key_name: str, feeds: Sequence[str] | None) -> tuple[str, ...] | None:
    """The feeds whose expectations to remove (``None``: all of that key name's). A key
    name is known when a key has it or an expectation does (its keys may have been
    renamed or deleted since); a feed, when it has an expectation or those keys may
    pull it."""
    expected = set(Expectation.objects.filter(key_name=key_name).values_list("feed", flat=True))
    if not expected and not ApiKey.objects.filter(name=key_name).exists():
        raise ValidationError(UNKNOWN_EXPECTED_KEY.format(name=key_name), code="key")
    if feeds is None:
        return None
    if not feeds:
        raise ValidationError(NO_FEEDS, code="feeds")
    pullable = feeds_pullable(key_name)
    for feed in feeds:
        if feed not in expected and feed not in pullable:
            message = NOT_PULLABLE if feed in served_feeds() else UNKNOWN_FEED
            raise ValidationError(message.format(name=key_name, feed=feed, feeds=listed(pullable)), code="feeds")
    return tuple(dict.fromkeys(feeds))
