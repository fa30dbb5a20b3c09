"""``delete_rows <feed> <id> [<id> …]``: delete rows of a feed by id, in one transaction;
each leaves a tombstone that ``GET /api/deletions`` serves (assurance.md section 15)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from deletions.services import deletable_feeds, feed_rows_delete
from feeds.feed_names import feed_name
from lib.pipes import PipeableCommand

NONE_FOUND = "none of the ids was found in {feed}: {ids}"


class Command(PipeableCommand):
    help = (
        "Delete rows of a feed (any served feed, or game-actions) by id, in one transaction; "
        "each leaves a tombstone served by GET /api/deletions. The id of contacts is the "
        "player_id; of games the session_id (all its game actions are deleted)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("feed", help="the feed's name, e.g. users, games, game-actions")
        parser.add_argument("ids", nargs="+", metavar="id", help="the ids of the rows to delete")

    def handle(self, *args: Any, feed: str, ids: list[str], **options: Any) -> None:
        feeds = deletable_feeds()
        feed_name(feed, among=list(feeds), option=None, what="deletable feed")
        deleted = feed_rows_delete(feed=feeds[feed], ids=ids)
        if not deleted.rows:
            raise CommandError(NONE_FOUND.format(feed=feed, ids=", ".join(deleted.missing)))
        noun = "row" if deleted.rows == 1 else "rows"
        line = f"deleted {deleted.rows} {noun} of {feed}"
        if deleted.table_rows != deleted.rows:  # games: the sessions' actions
            line += f" ({deleted.table_rows} game actions)"
        self.stdout.write(line)
        if deleted.missing:
            self.stdout.write(f"not found in {feed}: {', '.join(deleted.missing)}")
