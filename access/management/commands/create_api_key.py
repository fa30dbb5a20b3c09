from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction

from access.services import api_key_issue
from feeds.command_times import command_time, forms
from lib.pipes import PipeableCommand

# The option that carries each rule, for messages (access/services.py names rules by code).
OPTIONS = {"feeds": "--feeds", "networks": "--allow-ip", "expires_at": "--expires"}


class Command(PipeableCommand):
    help = "Create an API key with its rules; it is printed once, as the last line, and only its hash is stored."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="who will use the key, e.g. 'InTarget production'")
        parser.add_argument(
            "--feeds", help="comma-separated feeds the key may use (default: every feed), e.g. users,transactions"
        )
        parser.add_argument(
            "--allow-ip",
            action="append",
            default=[],
            metavar="NET",
            help="a network or address requests may come from (IPv4 or IPv6; repeatable; default: any)",
        )
        parser.add_argument("--expires", metavar="TIME", help=f"when the key starts being refused: {forms()}")
        parser.add_argument("--push", action="store_true", help="a push key: may push rows, may not pull")

    def handle(
        self, *args: Any, name: str, feeds: str | None, allow_ip: list[str], expires: str | None, push: bool, **options: Any
    ) -> None:
        expires_at = command_time("--expires", expires) if expires is not None else None
        feed_names = [feed.strip() for feed in feeds.split(",") if feed.strip()] if feeds is not None else []
        if feeds is not None and not feed_names:
            raise CommandError("--feeds: expected one or more feed names, comma-separated")
        # A key whose secret never reached the reader (its pipe closed, lib/pipes.py) is
        # not kept: the secret is written, and flushed, before the key is committed.
        with transaction.atomic():
            try:
                key, secret = api_key_issue(
                    name=name, feeds=feed_names, networks=allow_ip, expires_at=expires_at, push=push
                )
            except ValidationError as error:
                raise CommandError(f"{OPTIONS[error.error_list[0].code]}: {error.messages[0]}") from None
            self.stdout.write(f"API key {key.prefix}… created for {name!r}. Store it now: it is not shown again.")
            self.stdout.write(secret)
            self.stdout.flush()
