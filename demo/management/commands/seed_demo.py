import secrets
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from demo import services as demo
from lib.pipes import PipeableCommand
from lib.progress import Progress


class Command(PipeableCommand):
    help = (
        "Replace the demo data: remove the rows of earlier runs (ids starting with demo-), then create "
        "demo data for every feed, stamped over the last few hours up to a minute ago, so that a request "
        "for the last hour answers rows in each feed. The vip_level and lifetime_value custom fields are "
        "defined if missing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--players", type=int, default=50, help="how many players (default 50)")

    def handle(self, *args: Any, players: int, verbosity: int, **options: Any) -> str:
        if players < 1:
            raise CommandError("--players must be at least 1")
        tag = f"{demo.DEMO_PREFIX}{secrets.token_hex(3)}"
        now = timezone.now()
        with Progress(self, verbosity, what="seed_demo") as progress:
            counts, removed = demo.demo_seed(players=players, tag=tag, now=now, progress=progress)
            progress(counts.total())
        if progress.quiet:
            return ""
        made = ", ".join(f"{count} {table}" for table, count in counts.items())
        start = (now - demo.SPREAD - demo.VISIT).strftime("%Y-%m-%d %H:%M")
        end = (now - demo.LATEST_AGO).strftime("%Y-%m-%d %H:%M")
        replaced = f"; replaced {removed} rows of an earlier run" if removed else ""
        return f"seed_demo {tag}: {made}; stamped {start} to {end} UTC{replaced}; {progress.summary('made')}"
