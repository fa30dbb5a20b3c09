from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db import DatabaseError

from feeds.feed_names import importable_feed_name, importable_feeds
from feeds.registry import registry
from lib.pipes import PipeableCommand
from lib.progress import Progress
from loading.importing import ImportRefused, import_file


class Command(PipeableCommand):
    help = "Upsert the rows of a .csv or .json file into a feed; a bad row refuses the whole file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("feed", metavar="FEED", help=f"an importable feed: {', '.join(importable_feeds())}")
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--preserve-timestamps",
            action="store_true",
            help="keep the file's window timestamps (history backfills) instead of stamping now",
        )

    def handle(self, *args: Any, feed: str, path: Path, preserve_timestamps: bool, verbosity: int, **options: Any) -> str:
        importable_feed_name(feed)
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            with Progress(self, verbosity, what=feed) as progress:
                import_file(registry()[feed], path, preserve=preserve_timestamps, progress=progress)
        except ImportRefused as error:
            raise CommandError(f"{path}: refused, nothing written: {error}") from None
        except DatabaseError as error:
            # Busy or unreachable (importing.database_unavailable): the file is not at fault.
            raise CommandError(f"{path}: the database failed, nothing written; try again: {error}") from None
        if progress.quiet:
            return ""
        return f"{feed}: {progress.summary(f'imported from {path}')}"
