from typing import Any

from django.conf import settings
from django.utils import timezone

from feeds.columns import format_timestamp
from feeds.command_times import command_time, forms
from lib.pipes import PipeableCommand
from operations.log_names import KEY_NAME_FORM, pull_log_key_name
from operations.models import Pull


class Command(PipeableCommand):
    help = (
        "Remove pull log entries older than PULL_LOG_DAYS (default 90), or started before --before; "
        "with --key, only that key's."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--key", metavar="NAME", help=f"only the entries of this key: {KEY_NAME_FORM}")
        parser.add_argument(
            "--before", metavar="TIME",
            help=f"remove the entries started before this time instead: {forms(now_allowed=True)} (every entry)",
        )

    def handle(self, *args: Any, key: str | None = None, before: str | None = None, **options: Any) -> str:
        if key is not None:
            pull_log_key_name(key)
        if before is None:
            cutoff = timezone.now() - timezone.timedelta(days=settings.PULL_LOG_DAYS)
            what = f"older than {settings.PULL_LOG_DAYS} days"
        else:
            # now: the machine's clock, which stamps started_at (operations/recording.py).
            cutoff = command_time("--before", before, now=timezone.now)
            what = f"started before {format_timestamp(cutoff)}"
        entries = Pull.objects.filter(started_at__lt=cutoff)
        if key is not None:
            entries = entries.filter(key_name=key)
            what = f"of key {key!r} {what}"
        removed, _ = entries.delete()
        return f"{removed} pull log entries {what} removed"
