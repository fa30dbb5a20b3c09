import getpass
import os
from typing import Any

from django.core.management.base import CommandError

from feeds.columns import format_timestamp
from lib.pipes import PipeableCommand
from privacy.models import Erasure
from privacy.services import UnknownPlayer, player_erase


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return f"uid {os.getuid()}"


class Command(PipeableCommand):
    help = (
        "Blank a player's personal data wherever a feed holds it (ids and amounts are kept); "
        "the changed rows are served again in the next window. Recorded under Privacy > Erasures."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("player_id", help="the player's id, as in the users feed")
        parser.add_argument("--operator", help="who asked for it, for the record (default: the OS user)")

    def handle(self, *args: Any, player_id: str, operator: str | None, **options: Any) -> str:
        try:
            erasure = player_erase(
                player_id=player_id, operator=os_user() if operator is None else operator, via=Erasure.Via.COMMAND
            )
        except (UnknownPlayer, ValueError) as error:
            raise CommandError(error.args[0]) from None
        header = (
            f"erased the personal data of player {erasure.player_id} at {format_timestamp(erasure.erased_at)} UTC "
            f"by {erasure.operator}: {erasure.rows_changed} row(s) changed"
        )
        return "\n".join([header, *(f"  {line}" for line in erasure.describe())])
