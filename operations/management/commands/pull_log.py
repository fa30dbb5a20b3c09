from typing import Any

from django.core.management.base import CommandError

from feeds.columns import TIMESTAMP_FORM, format_timestamp, parse_timestamp
from lib.pipes import PipeableCommand
from operations.output import write_table
from operations.selectors import pulls_listed

HEADER = ["started_at", "key", "feed", "from", "to", "format", "status", "rows", "bytes", "duration_ms", "client", "complete"]


class Command(PipeableCommand):
    help = "Print the pull log, oldest first: every feed request of a key, once it ended."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--key", help="only this key's name")
        parser.add_argument("--feed", help="only this feed")
        parser.add_argument("--since", metavar="'YYYY-MM-DD HH:MM:SS'", help="only pulls started then or later (UTC)")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, key: str | None, feed: str | None, since: str | None, format: str, **options: Any) -> None:
        try:
            start = parse_timestamp(since) if since is not None else None
        except ValueError:
            raise CommandError(f"--since: expected a UTC timestamp {TIMESTAMP_FORM}, got {since!r}") from None
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
