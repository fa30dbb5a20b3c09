from typing import Any

from alerts.key_names import expected_key_name
from alerts.selectors import expectation_states
from alerts.services import time_or_none
from lib.pipes import PipeableCommand
from operations.output import write_table

HEADER = ["key", "feed", "every", "grace", "state", "last_pull_at", "last_to", "gaps"]


class Command(PipeableCommand):
    help = "Print, per key and feed with an expected pull (expect_pulls), whether it is up or late, its last pull and gaps."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--key", metavar="NAME", help="only this key name's (an API key's, or an expectation's)")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, key: str | None, format: str, **options: Any) -> None:
        if key is not None:
            expected_key_name(key, option="--key")
        rows = (
            [
                state.key,
                state.feed,
                state.every,
                state.grace,
                str(state.state),
                time_or_none(state.last_pull_at),
                time_or_none(state.last_to),
                len(state.gaps),
            ]
            for state in expectation_states(key=key)
        )
        write_table(self.stdout, HEADER, rows, format)
