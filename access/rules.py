"""What a key opens (operations.md section 6): feeds, networks, direction; and what it
sees of a feed about other feeds (deletions: assurance.md section 15).

Each check returns None when the key allows the request, or the reason it refuses,
naming the rule. The reasons go into 403 bodies: they never contain the key.
"""

from __future__ import annotations

from access.clients import in_any, parse_address, parse_network
from access.models import ApiKey, Direction
from feeds.registry import Feed, registry

REFUSED_ADDRESS = "refused by the key's address rule: requests from {address} are not allowed for this key"
REFUSED_DIRECTION = "refused by the key's direction rule: this is a {direction} key; it may not {action} rows"
REFUSED_FEED = "refused by the key's feed rule: this key does not open {feed!r}; it opens: {feeds}"

ACTIONS = {Direction.PULL: "pull", Direction.PUSH: "push"}


def address_refusal(key: ApiKey, address: str) -> str | None:
    if not key.allowed_networks:
        return None
    networks = [parse_network(text) for text in key.allowed_networks]
    if in_any(parse_address(address), networks):
        return None
    return REFUSED_ADDRESS.format(address=address or "an unknown address")


def direction_refusal(key: ApiKey, direction: str | None) -> str | None:
    if direction is None or key.direction == direction:
        return None  # None: neither a pull nor a push (PUT, DELETE…: the view's 405)
    return REFUSED_DIRECTION.format(direction=key.direction, action=ACTIONS[Direction(direction)])


def opens(key: ApiKey, feed: str) -> bool:
    """Whether the key's feed rule lets it pull ``feed``: every feed without a rule;
    with one, the feeds it names, and every feed about other feeds (deletions), even
    when the rule predates it: of those the key sees the rows about its feeds only
    (``seen``)."""
    described = registry().get(feed)
    return not key.feeds or feed in key.feeds or (described is not None and described.feed_field is not None)


def seen(key: ApiKey, feed: Feed) -> Feed:
    """``feed`` as this key may read it: narrowed to the rows about the feeds it opens
    when it is about other feeds (Feed.seen_by), else whole."""
    return feed.seen_by(key.feeds)


def feed_refusal(key: ApiKey, feed: str | None) -> str | None:
    if feed is None or opens(key, feed):
        return None
    return REFUSED_FEED.format(feed=feed, feeds=", ".join(key.feeds))


def refusal(key: ApiKey, *, address: str, direction: str | None, feed: str | None) -> str | None:
    """The first rule that refuses, checked address first: a request from the wrong
    network learns nothing about the key's other rules."""
    return address_refusal(key, address) or direction_refusal(key, direction) or feed_refusal(key, feed)
