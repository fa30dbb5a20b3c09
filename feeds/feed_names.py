"""A feed name given to a command, checked against the registry (``registry.py``).

Which feeds a name may be depends on the command: ``export_feed`` takes a served feed,
``import_feed`` an importable one; the pull log's commands also take the names its
entries hold (``operations/log_names.py``).
"""

from __future__ import annotations

from collections.abc import Collection

from feeds.registry import registry, served_feeds
from lib.known_names import known_name


def importable_feeds() -> list[str]:
    """The feeds ``import_feed`` (and a push) may load, in registry order."""
    return [name for name, feed in registry().items() if feed.importable]


def served_feed_name(value: str, *, option: str | None = None) -> str:
    """``value`` if it names a feed InTarget pulls; else CommandError."""
    return feed_name(value, among=list(served_feeds()), option=option, what="served feed")


def importable_feed_name(value: str, *, option: str | None = None) -> str:
    """``value`` if it names a feed ``import_feed`` loads; else CommandError."""
    return feed_name(value, among=importable_feeds(), option=option, what="importable feed")


def feed_name(value: str, *, among: Collection[str], option: str | None, what: str = "feed") -> str:
    """``value`` if it is one of ``among``; else CommandError naming it, the nearest
    feed and the feeds ``among`` holds."""
    return known_name(value, exists=lambda name: name in among, known=lambda: among, option=option, what=what)
