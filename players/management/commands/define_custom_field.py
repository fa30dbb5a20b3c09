from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from feeds.columns import CUSTOM_KINDS
from lib.pipes import PipeableCommand
from players.services import custom_field_define


class Command(PipeableCommand):
    help = "Define a custom player field, served as one more column of the users feed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        parser.add_argument("type", choices=list(CUSTOM_KINDS))

    def handle(self, *args: Any, name: str, type: str, **options: Any) -> str:
        try:
            field = custom_field_define(name=name, type=type)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        return f"custom field {field.name} ({field.type}) defined: users now has a {field.name} column"
