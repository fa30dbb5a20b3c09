from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.services import DEMO_KEY_FILE, demo_key_get_or_issue


class Command(BaseCommand):
    help = (
        "Print the demo's API key as the last line: the same on every run (its secret is kept in "
        f"DATA_DIR/{DEMO_KEY_FILE}), made anew when it no longer opens the feeds."
    )

    def handle(self, *args: Any, **options: Any) -> str:
        secret, _ = demo_key_get_or_issue(data_dir=settings.DATA_DIR)
        return secret
