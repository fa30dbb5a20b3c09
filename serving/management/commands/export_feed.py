import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from django.core.management.base import CommandError
from rest_framework.exceptions import APIException, ValidationError

from feeds.money import FORMS, NUMBER, STRING
from feeds.registry import served_feeds
from feeds.window import parse_window
from lib.error_detail import first_message
from lib.pipes import PipeableCommand
from lib.private_files import private_temporary
from lib.progress import Progress
from serving.finality import ensure_final
from serving.renderers import CSVRenderer, JSONRenderer
from serving.streaming import feed_body
from serving.tally import Tally

RENDERERS = {"csv": CSVRenderer, "json": JSONRenderer}


class Command(PipeableCommand):
    help = "Write a feed's window exactly as GET /api/<feed> answers it, to stdout or a file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("feed", choices=list(served_feeds()))
        parser.add_argument("--from", dest="start", help="YYYY-MM-DD HH:MM:SS, UTC")
        parser.add_argument("--to", dest="end", help="YYYY-MM-DD HH:MM:SS, UTC")
        parser.add_argument("--format", choices=list(RENDERERS), default="csv")
        parser.add_argument(
            "--money", choices=list(FORMS), default=NUMBER,
            help="JSON money as numbers (default) or as strings of the same digits; CSV is the same either way",
        )
        parser.add_argument("--output", type=Path, help="file to write; stdout when absent")

    def handle(
        self, *args: Any, feed: str, start: str, end: str, format: str, output: Path | None, verbosity: int,
        money: str = NUMBER, **options: Any,
    ) -> None:
        if output is not None:
            check_output(output)  # before any query: a typo in the path costs nothing
        spec = served_feeds()[feed]
        params = {key: value for key, value in (("from", start), ("to", end)) if value}
        try:
            window = parse_window(params, optional=spec.window_optional)
            ensure_final(window, spec.tables)
        except ValidationError as error:
            raise CommandError(f"--{next(iter(error.detail))}: {first_message(error.detail)}") from None
        except APIException as error:
            raise CommandError(str(error.detail)) from None
        tally = Tally()
        renderer = RENDERERS[format]()
        if isinstance(renderer, JSONRenderer):
            renderer.money_as_strings = money == STRING  # as ?money=string (feeds/money.py)
        chunks = feed_body(spec, window, renderer, tally)
        with Progress(self, verbosity, what=feed) as progress:
            if output is None:
                write(chunks, sys.stdout.buffer, tally, progress)
                sys.stdout.buffer.flush()
            else:
                write_file(chunks, output, tally, progress)
        if progress.quiet:
            return
        if output is None:
            # stdout holds the data alone: the summary goes beside it.
            self.stderr.write(f"{feed}: {progress.summary('exported')}")
        else:
            self.stdout.write(f"{feed}: {progress.summary(f'exported to {output}')}")


def check_output(output: Path) -> None:
    """Refuse, naming the path, an --output that cannot be written."""
    if output.is_dir():
        raise CommandError(f"--output {output}: is a folder; name a file in it")
    if not output.parent.is_dir():
        raise CommandError(f"--output {output}: no such folder {output.parent}")


def write(chunks: Iterator[bytes], file: BinaryIO, tally: Tally, progress: Progress) -> None:
    try:
        for chunk in chunks:
            file.write(chunk)
            progress(tally.rows)
    finally:
        # Stopped midway (a full disk): end the query now, while its connection is open,
        # not at exit, where closing its cursor prints a traceback.
        getattr(chunks, "close", lambda: None)()


def write_file(chunks: Iterator[bytes], output: Path, tally: Tally, progress: Progress) -> None:
    """Write under a temporary name beside ``output``, renamed only when complete: a failed
    export never leaves a plausible file, nor a partial one. The temporary file is created
    exclusively, mode 0600 (lib/private_files.py): a symbolic link planted beside the
    output is never written through, and no other user reads players' data meanwhile."""
    try:
        fd, partial = private_temporary(output.parent, output.name)
    except OSError as error:
        raise CommandError(f"--output {output}: cannot write there: {error.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            write(chunks, file, tally, progress)
        partial.replace(output)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError):  # a full disk, a folder removed meanwhile
            raise CommandError(f"--output {output}: {error.strerror or error}") from None
        raise
