from typing import Any

from feeds.columns import format_timestamp
from lib.pipes import PipeableCommand
from operations.log_names import FEED_NAME_FORM, KEY_NAME_FORM, pull_log_feed_name, pull_log_key_name
from operations.output import write_table
from operations.selectors import sync_gaps

HEADER = ["key", "feed", "from", "to"]


class Command(PipeableCommand):
    help = "Print, per key and feed, the stretches of time no complete pull covered: rows InTarget never received."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--key", metavar="NAME", help=f"only the gaps of this key: {KEY_NAME_FORM}")
        parser.add_argument("--feed", metavar="FEED", help=f"only the gaps of this feed: {FEED_NAME_FORM}")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, key: str | None, feed: str | None, format: str, **options: Any) -> None:
        if key is not None:
            pull_log_key_name(key)
        if feed is not None:
            pull_log_feed_name(feed)
        rows = (
            [gap.key, gap.feed, format_timestamp(gap.start), format_timestamp(gap.end)]
            for gap in sync_gaps(key=key, feed=feed)
        )
        write_table(self.stdout, HEADER, rows, format)
