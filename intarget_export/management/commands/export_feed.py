import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import APIException, ValidationError

from intarget_export.exceptions import first_message
from intarget_export.feeds import served_feeds
from intarget_export.finality import ensure_final
from intarget_export.renderers import CSVRenderer, JSONRenderer
from intarget_export.streaming import feed_body
from intarget_export.window import parse_window

RENDERERS = {"csv": CSVRenderer, "json": JSONRenderer}


class Command(BaseCommand):
    help = "Write a feed's window exactly as GET /api/<feed> answers it, to stdout or a file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("feed", choices=list(served_feeds()))
        parser.add_argument("--from", dest="start", help="YYYY-MM-DD HH:MM:SS, UTC")
        parser.add_argument("--to", dest="end", help="YYYY-MM-DD HH:MM:SS, UTC")
        parser.add_argument("--format", choices=list(RENDERERS), default="csv")
        parser.add_argument("--output", type=Path, help="file to write; stdout when absent")

    def handle(self, *args: Any, feed: str, start: str, end: str, format: str, output: Path | None, **options: Any) -> None:
        spec = served_feeds()[feed]
        params = {key: value for key, value in (("from", start), ("to", end)) if value}
        try:
            window = parse_window(params, optional=spec.window_optional)
            ensure_final(window, spec.tables)
        except ValidationError as error:
            raise CommandError(f"--{next(iter(error.detail))}: {first_message(error.detail)}") from None
        except APIException as error:
            raise CommandError(str(error.detail)) from None
        chunks = feed_body(spec, window, RENDERERS[format]())
        if output is None:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        partial = output.with_name(output.name + ".partial")
        with partial.open("wb") as file:
            for chunk in chunks:
                file.write(chunk)
        # Renamed only when complete: a failed export never leaves a plausible file.
        partial.replace(output)
