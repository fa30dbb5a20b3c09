from typing import Any

from django.core.management.base import CommandError

from access.key_names import api_key_name
from access.models import ApiKey
from access.services import api_keys_revoke
from lib.pipes import PipeableCommand


class Command(PipeableCommand):
    help = "Revoke every active API key of that name; requests with them get 401 at once, on every worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="the name the key was created with")

    def handle(self, *args: Any, name: str, **options: Any) -> str:
        count = api_keys_revoke(keys=ApiKey.objects.filter(name=api_key_name(name)))
        if count == 0:
            raise CommandError(f"no active API key named {name!r}: every key of that name is revoked already")
        return f"{count} API key(s) named {name!r} revoked"
