from typing import Any

from django.core.management.base import BaseCommand

from intarget_export.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key; it is printed once, as the last line, and only its hash is stored."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="who will use the key, e.g. 'InTarget production'")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        key, secret = ApiKey.issue(name)
        self.stdout.write(f"API key {key.prefix}… created for {name!r}. Store it now: it is not shown again.")
        self.stdout.write(secret)
