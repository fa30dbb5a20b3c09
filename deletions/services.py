"""Deleting a feed's rows by id, for ``delete_rows``: one transaction, whose deletions the
database's triggers turn into tombstones (deletions/triggers.py), as any other path's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from feeds.registry import Feed, registry

# Ids per statement: far below SQLite's bound on a statement's parameters.
CHUNK = 500


def deletable_feeds() -> dict[str, Feed]:
    """Every served feed and game-actions: every feed but one about other feeds
    (deletions itself: a tombstone is how a consumer learns of a deletion)."""
    return {name: feed for name, feed in registry().items() if feed.feed_field is None}


@dataclass(frozen=True)
class Deleted:
    feed: str
    # The feed's rows deleted (games: sessions, by session_id).
    rows: int
    # The rows of its table (games: the sessions' game actions).
    table_rows: int
    missing: tuple[str, ...]


@transaction.atomic
def feed_rows_delete(*, feed: Feed, ids: Sequence[str]) -> Deleted:
    """Delete the rows of ``feed`` whose id (its ``id_field``: ``contacts`` the player_id,
    ``games`` the session_id, whose actions all go) is one of ``ids``, in one transaction.
    Returns how many went and which ids were not found."""
    wanted = list(dict.fromkeys(ids))
    found: set[str] = set()
    table_rows = 0
    manager = feed.model._default_manager
    for start in range(0, len(wanted), CHUNK):
        rows = manager.filter(**{f"{feed.id_field}__in": wanted[start:start + CHUNK]})
        found.update(rows.values_list(feed.id_field, flat=True).distinct())
        table_rows += rows.delete()[0]
    return Deleted(
        feed=feed.name, rows=len(found), table_rows=table_rows, missing=tuple(i for i in wanted if i not in found)
    )
