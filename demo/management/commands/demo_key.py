from typing import Any

from django.conf import settings

from demo.services import DEMO_KEY_FILE, demo_key_get_or_issue
from lib.pipes import PipeableCommand


class Command(PipeableCommand):
    help = (
        "Print the demo's API key as the last line: the same on every run (its secret is kept in "
        f"DATA_DIR/{DEMO_KEY_FILE}), made anew when it no longer opens the feeds."
    )

    def handle(self, *args: Any, **options: Any) -> str:
        secret, _ = demo_key_get_or_issue(data_dir=settings.DATA_DIR)
        return secret
