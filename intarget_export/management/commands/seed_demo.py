import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from intarget_export import demo


class Command(BaseCommand):
    help = (
        "Create demo data for every feed, stamped over the last few hours up to a minute ago, so that "
        "a request for the last hour answers rows in each feed. Each run adds a separate batch whose "
        "ids start with a random tag (demo-3f9a1c-…); the vip_level and lifetime_value custom fields "
        "are defined if missing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--players", type=int, default=50, help="how many players (default 50)")

    def handle(self, *args: Any, players: int, **options: Any) -> str:
        if players < 1:
            raise CommandError("--players must be at least 1")
        tag = f"demo-{secrets.token_hex(3)}"
        now = timezone.now()
        counts = demo.seed(players=players, tag=tag, now=now)
        made = ", ".join(f"{count} {table}" for table, count in counts.items())
        start = (now - demo.SPREAD - demo.VISIT).strftime("%Y-%m-%d %H:%M")
        end = (now - demo.LATEST_AGO).strftime("%Y-%m-%d %H:%M")
        return f"seed_demo {tag}: {made}; stamped {start} to {end} UTC"
