from typing import Any

from feeds.columns import format_timestamp
from feeds.command_times import command_time, forms
from lib.pipes import PipeableCommand
from operations.log_names import FEED_NAME_FORM, KEY_NAME_FORM, pull_log_feed_name, pull_log_key_name
from operations.output import write_table
from operations.selectors import pulls_listed

HEADER = ["started_at", "key", "feed", "from", "to", "format", "status", "rows", "bytes", "duration_ms", "client", "complete"]


class Command(PipeableCommand):
    help = "Print the pull log, oldest first: every feed request of a key, once it ended."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--key", metavar="NAME", help=f"only the pulls of this key: {KEY_NAME_FORM}")
        parser.add_argument("--feed", metavar="FEED", help=f"only the pulls of this feed: {FEED_NAME_FORM}")
        parser.add_argument("--since", metavar="TIME", help=f"only pulls started then or later: {forms()}")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, key: str | None, feed: str | None, since: str | None, format: str, **options: Any) -> None:
        start = command_time("--since", since) if since is not None else None
        if key is not None:
            pull_log_key_name(key)
        if feed is not None:
            pull_log_feed_name(feed)
        rows = (
            [
                format_timestamp(pull.started_at),
                pull.key_name,
                pull.feed,
                pull.from_text or None,
                pull.to_text or None,
                pull.format,
                pull.status,
                pull.rows,
                pull.bytes,
                pull.duration_ms,
                pull.client,
                pull.complete,
            ]
            for pull in pulls_listed(key=key, feed=feed, since=start).iterator()
        )
        write_table(self.stdout, HEADER, rows, format)
