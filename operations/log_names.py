"""The names the pull log's commands take (``pull_log``, ``sync_gaps``,
``prune_pull_log``): those of keys and feeds that exist, and those its entries were
made under.

A key name is known when an API key of that name exists, active or revoked, or when the
pull log holds entries under it: a deleted key's pulls stay listable until pruned. A
feed name is known when it is a served feed, or when the log holds entries of it: a
key that asked for a feed that does not exist (a 404) is in the log under that name.
Anything else is refused, naming the nearest known name (``lib/known_names.py``).
"""

from __future__ import annotations

from access.key_names import api_key_names
from access.models import ApiKey
from feeds.registry import served_feeds
from lib.known_names import known_name
from operations.models import Pull

# What the names may be, for the commands' help.
KEY_NAME_FORM = "an API key's name, revoked keys' too, or a name the pull log holds"
FEED_NAME_FORM = "a served feed, or a name the pull log holds"


def pull_log_key_names() -> set[str]:
    return api_key_names() | set(Pull.objects.order_by().values_list("key_name", flat=True).distinct())


def pull_log_feed_names() -> set[str]:
    return set(served_feeds()) | set(Pull.objects.order_by().values_list("feed", flat=True).distinct())


def pull_log_key_name(value: str, *, option: str | None = "--key") -> str:
    """``value`` if a key of that name exists or the log holds entries under it."""
    return known_name(
        value,
        # The key_name index answers the log's half at once, however long the log.
        exists=lambda name: ApiKey.objects.filter(name=name).exists() or Pull.objects.filter(key_name=name).exists(),
        known=pull_log_key_names,
        option=option,
        what="key name",
    )


def pull_log_feed_name(value: str, *, option: str | None = "--feed") -> str:
    """``value`` if it is a served feed or the log holds entries of it."""
    return known_name(
        value,
        exists=lambda name: name in served_feeds() or Pull.objects.filter(feed=name).exists(),
        known=pull_log_feed_names,
        option=option,
        what="feed",
    )
