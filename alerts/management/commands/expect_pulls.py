from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from alerts.services import expectations_remove, expectations_set
from alerts.validation import clean_expectation, clean_removal
from lib.durations import DURATION_FORM, duration_text
from lib.pipes import PipeableCommand

# The option that carries each part, for messages (alerts/validation.py names parts by
# code); the key name is an argument, named by the message itself, as every command does.
OPTIONS = {"key": None, "feeds": "--feeds", "every": "--every", "grace": "--grace"}


def feed_list(feeds: str | None) -> list[str] | None:
    return None if feeds is None else [feed.strip() for feed in feeds.split(",") if feed.strip()]


class Command(PipeableCommand):
    help = (
        "Declare that the keys of a name should complete a pull of each feed at least once every DURATION "
        "(send_alerts tells when they do not); --off removes it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("key_name", metavar="key name", help="the API keys' name, e.g. 'InTarget production'")
        parser.add_argument("--every", metavar="DURATION", help=f"at least one complete pull this often: {DURATION_FORM}")
        parser.add_argument("--grace", metavar="DURATION", help="lateness allowed on top of --every (default: --every)")
        parser.add_argument(
            "--feeds", metavar="FEED[,FEED…]", help="comma-separated feeds (default: every feed those keys may pull)"
        )
        parser.add_argument("--off", action="store_true", help="remove the expectation (of --feeds only, if given)")

    def handle(
        self, *args: Any, key_name: str, every: str | None, grace: str | None, feeds: str | None, off: bool, **options: Any
    ) -> None:
        try:
            if off:
                self.remove(key_name, every, grace, feed_list(feeds))
            else:
                self.set(key_name, every, grace, feed_list(feeds))
        except ValidationError as error:
            option = OPTIONS[error.error_list[0].code]
            raise CommandError(f"{option}: {error.messages[0]}" if option else error.messages[0]) from None

    def set(self, key_name: str, every: str | None, grace: str | None, feeds: list[str] | None) -> None:
        if every is None:
            raise CommandError(f"--every: required (or --off): {DURATION_FORM}")
        expected = clean_expectation(key_name=key_name, feeds=feeds, every=every, grace=grace)
        for expectation in expectations_set(expected=expected):
            self.stdout.write(
                f"{expectation.key_name} · {expectation.feed}: a complete pull at least every "
                f"{duration_text(expectation.every)} ({expectation.every} s), grace {duration_text(expectation.grace)} "
                f"({expectation.grace} s)"
            )

    def remove(self, key_name: str, every: str | None, grace: str | None, feeds: list[str] | None) -> None:
        if every is not None or grace is not None:
            raise CommandError("--off: takes no --every or --grace")
        chosen = clean_removal(key_name=key_name, feeds=feeds)
        removed = expectations_remove(key_name=key_name, feeds=chosen)
        if not removed:
            self.stdout.write(f"{key_name}: no expected pull to remove")
        for feed in removed:
            self.stdout.write(f"{key_name} · {feed}: no longer expected")
