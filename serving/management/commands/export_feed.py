import datetime as dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from django.core.management.base import CommandError
from rest_framework.exceptions import APIException, ValidationError

from feeds.command_times import command_time, forms
from feeds.feed_names import served_feed_name
from feeds.money import FORMS, NUMBER, STRING
from feeds.registry import served_feeds
from feeds.stamping import clock
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
MISSING = "--{param} is required for {feed}: {forms}"
USAGE = "%(prog)s FEED --from TIME --to TIME [--format csv|json] [--money number|string] [--output PATH]"


class Command(PipeableCommand):
    help = "Write a feed's window exactly as GET /api/<feed> answers it, to stdout or a file."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        # argparse would show --from and --to as optional ([--from START]): they are
        # required but for the feeds whose window is optional, which argparse cannot say.
        return super().create_parser(prog_name, subcommand, usage=USAGE, **kwargs)

    def add_arguments(self, parser: Any) -> None:
        served = served_feeds()
        optional = ", ".join(name for name, feed in served.items() if feed.window_optional)
        parser.add_argument("feed", metavar="FEED", help=f"a served feed: {', '.join(served)}")
        required = f"required (but for {optional}, which without --from and --to give every row)"
        parser.add_argument("--from", dest="start", metavar="TIME", help=f"{required}: {forms()}")
        parser.add_argument(
            "--to", dest="end", metavar="TIME",
            help=f"{required}: {forms(now_allowed=True)}, the latest second a window can end at (the database's clock)",
        )
        parser.add_argument("--format", choices=list(RENDERERS), default="csv")
        parser.add_argument(
            "--money", choices=list(FORMS), default=NUMBER,
            help="JSON money as numbers (default) or as strings of the same digits; CSV is the same either way",
        )
        parser.add_argument("--output", type=Path, metavar="PATH", help="file to write; stdout when absent")

    def handle(
        self, *args: Any, feed: str, start: str | None, end: str | None, format: str, output: Path | None,
        verbosity: int, money: str = NUMBER, **options: Any,
    ) -> None:
        spec = served_feeds()[served_feed_name(feed)]
        if output is not None:
            check_output(output)  # before any query: a typo in the path costs nothing
        given = {"from": start or "", "to": end or ""}
        try:
            window = parse_window(given, optional=spec.window_optional, bound=bound)
            ensure_final(window, spec.tables)
        except ValidationError as error:
            param = next(iter(error.detail))
            if not given[param] and not spec.window_optional:  # missing: say it in the command's terms
                raise CommandError(MISSING.format(param=param, feed=feed, forms=forms(now_allowed=param == "to"))) from None
            raise CommandError(f"--{param}: {first_message(error.detail)}") from None
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


def bound(param: str, value: str) -> dt.datetime:
    """A bound as the command takes it (feeds/command_times.py); ``--to now`` is the latest end."""
    return command_time(f"--{param}", value, now=latest_end if param == "to" else None)


def latest_end() -> dt.datetime:
    """``--to now``: the stamping clock's current second, the latest end a window can
    have without being 425. Whether that window is final is ensure_final's to decide, as
    for any window: it waits for writers still open into it (serving/finality.py)."""
    return clock().replace(microsecond=0)


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
