"""Making and revoking keys: the one place their rules are validated, for the commands
and the admin alike."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from access.clients import parse_network
from access.models import KEY_PREFIX, PREFIX_LENGTH, ApiKey, Direction, hash_key
from feeds.registry import registry
from lib.known_names import nearest_name

UNKNOWN_FEED = "unknown feed {feed!r}; {nearest}a {direction} key may open: {feeds}"
BAD_NETWORK = "{value!r} is not a network or address (e.g. 203.0.113.0/24, 2001:db8::/32, 192.0.2.7)"
EXPIRY_PASSED = "the expiry {value} UTC is not in the future"


def feeds_for(direction: str) -> list[str]:
    """The feeds a key of this direction can open: served feeds to pull, importable ones to push."""
    if direction == Direction.PUSH:
        return [name for name, feed in registry().items() if feed.importable]
    return [name for name, feed in registry().items() if feed.served]


def clean_feeds(feeds: Sequence[str], direction: str) -> list[str]:
    known = feeds_for(direction)
    for feed in feeds:
        if feed not in known:
            nearest = nearest_name(feed, known)
            raise ValidationError(
                UNKNOWN_FEED.format(feed=feed, nearest=f"did you mean {nearest!r}? " if nearest else "",
                                    direction=direction, feeds=", ".join(known)),
                code="feeds",
            )
    return list(dict.fromkeys(feeds))  # once each, in the order given


def clean_networks(networks: Sequence[str]) -> list[str]:
    cleaned = []
    for value in networks:
        try:
            cleaned.append(str(parse_network(value)))
        except ValueError:
            raise ValidationError(BAD_NETWORK.format(value=value), code="networks") from None
    return list(dict.fromkeys(cleaned))


def clean_expiry(expires_at: dt.datetime | None) -> dt.datetime | None:
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(EXPIRY_PASSED.format(value=f"{expires_at:%Y-%m-%d %H:%M:%S}"), code="expires_at")
    return expires_at


def api_key_issue(
    *,
    name: str,
    feeds: Sequence[str] = (),
    networks: Sequence[str] = (),
    expires_at: dt.datetime | None = None,
    push: bool = False,
) -> tuple[ApiKey, str]:
    """Create a key with its rules; return it with its secret, which is not stored and
    is shown once. Raises ValidationError naming the bad value, its ``code`` the rule
    ("feeds", "networks" or "expires_at"); then no key is made."""
    direction = Direction.PUSH if push else Direction.PULL
    key = ApiKey(
        name=name,
        feeds=clean_feeds(feeds, direction),
        allowed_networks=clean_networks(networks),
        expires_at=clean_expiry(expires_at),
        direction=direction,
    )
    secret = f"{KEY_PREFIX}{secrets.token_urlsafe(6)}_{secrets.token_urlsafe(32)}"
    key.prefix = secret[:PREFIX_LENGTH]
    key.key_hash = hash_key(secret)
    key.save()
    return key, secret


@transaction.atomic
def api_keys_revoke(*, keys: QuerySet[ApiKey]) -> int:
    """Revoke the active keys among ``keys``; return how many. Takes effect on the next
    request on every worker and instance: keys are looked up in the database on every
    request, never cached."""
    return keys.filter(pk__in=ApiKey.objects.active().values("pk")).update(revoked_at=timezone.now())
