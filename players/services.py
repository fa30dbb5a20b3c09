from typing import Any

from django.db import transaction

from players.models import CustomField, Player


@transaction.atomic
def custom_field_define(*, name: str, type: str) -> CustomField:
    field = CustomField(name=name, type=type)
    field.full_clean()
    field.save()
    return field


@transaction.atomic
def player_set_custom_values(*, player: Player, values: dict[str, Any]) -> Player:
    """Set custom values (canonical text, or None to clear); moves ``modified_at``."""
    player.custom = {**player.custom, **values}
    player.custom = {key: value for key, value in player.custom.items() if value is not None}
    player.save()
    return player
