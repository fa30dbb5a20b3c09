"""Erasing a player's personal data (operations.md section 11).

One transaction blanks every personal column (``personal_data.PERSONAL``) of every row
that names the player, and records the erasure. It is a write like any other, so it
takes part in window finality as imports do (docs/no-row-lost.md): each changed row is
updated through ``StampedQuerySet.update``, which on PostgreSQL fires the stamping
trigger (transaction id first, then the database clock, never earlier than the old
stamp) while the transaction holds its tables, and on SQLite stamps under the write lock
that the IMMEDIATE transaction took. So the erased versions land in the window of the
erasure's time, and a window is not served while the erasure could still commit into it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Count, Q

from feeds.stamping import clock, preserving
from payments.models import Wallet
from players.models import CustomField, Player
from privacy.models import Erasure
from privacy.personal_data import PERSONAL, PersonalColumns

UNKNOWN_PLAYER = "unknown player {player_id!r}: no feed holds a row for it; nothing was erased"
NO_OPERATOR = "an erasure must name who made it"
PRESERVING = "an erasure must be stamped to be served: it cannot run inside preserve_timestamps()"


class UnknownPlayer(LookupError):
    pass


def player_erase(*, player_id: str, operator: str, via: str) -> Erasure:
    """Blank the personal data of ``player_id`` wherever a feed holds it, keep ids and
    amounts, stamp every changed row, and record who did it. Raises UnknownPlayer when
    no feed holds a row for that id (then nothing is written)."""
    if preserving():
        # Kept stamps would leave the erased rows in windows InTarget has already pulled.
        raise RuntimeError(PRESERVING)
    if not operator.strip():
        raise ValueError(NO_OPERATOR)
    with transaction.atomic():
        if not _known(player_id):
            raise UnknownPlayer(UNKNOWN_PLAYER.format(player_id=player_id))
        changes = [_erase(entry, player_id) for entry in PERSONAL]
        changes.append(_forget_admin_history_names(player_id))
        # Read after the rows were stamped: no changed row is stamped later than this.
        return Erasure.objects.create(
            player_id=player_id, erased_at=clock(), operator=operator.strip(), via=via, changes=changes
        )


def _known(player_id: str) -> bool:
    # Feeds arrive independently: a player's logins may be loaded before the player is,
    # and they are erased all the same.
    tables = [(entry.model, entry.player_field) for entry in PERSONAL] + [(Wallet, "player_id")]
    return any(model._default_manager.filter(**{field: player_id}).exists() for model, field in tables)


def _held(model: type[models.Model], name: str) -> Q:
    """The rows where column ``name`` holds a value (an empty string is already absent)."""
    field = model._meta.get_field(name)
    present = Q(**{f"{name}__isnull": False})
    if isinstance(field, (models.CharField, models.TextField)):
        present &= ~Q(**{name: ""})
    return present


def _erase(entry: PersonalColumns, player_id: str) -> dict[str, Any]:
    rows = entry.model._default_manager.filter(**{entry.player_field: player_id})
    held = {name: _held(entry.model, name) for name in entry.fields}
    any_held = Q()
    for condition in held.values():
        any_held |= condition
    counts = rows.aggregate(**{name: Count("pk", filter=condition) for name, condition in held.items()})
    fields = [name for name in entry.fields if counts[name]]
    blanks: dict[str, Any] = dict.fromkeys(entry.fields)
    change: dict[str, Any] = {"feed": entry.feed, "table": entry.table}
    if entry.model is Player:
        erased_custom, kept_custom = _split_custom(rows)
        fields += erased_custom
        if erased_custom:
            any_held = Q(pk=player_id)
            blanks["custom"] = kept_custom
    changed = rows.filter(any_held)
    if entry.served_as == "games":
        change["sessions"] = changed.values("session_id").distinct().count()
    # StampedQuerySet.update: every changed row's window timestamp moves to now.
    change["rows"] = changed.update(**blanks) if fields else 0
    change["fields"] = fields
    return change


def _forget_admin_history_names(player_id: str) -> dict[str, Any]:
    """The admin's history names each edited player as it was then ("p1 Ada Lovelace",
    shown under Recent actions); keep the entries (who changed the row, when) under the
    player's id alone."""
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Player), object_id=player_id
    ).exclude(object_repr=player_id)
    rows = entries.update(object_repr=player_id)
    fields = ["object_repr"] if rows else []
    return {"feed": "admin history", "table": LogEntry._meta.db_table, "rows": rows, "fields": fields}


def _split_custom(players: models.QuerySet) -> tuple[list[str], dict[str, Any]]:
    """The player's custom values to erase (names) and the ones to keep.

    String values are free text about the player. A value whose field is no longer
    defined goes too: its type is unknown, and it would be served again if a field of
    that name were defined later.
    """
    player = players.select_for_update().only("custom").first()
    if player is None or not player.custom:
        return [], {}
    types = dict(CustomField.objects.order_by("id").values_list("name", "type"))
    kept = {name: value for name, value in player.custom.items() if types.get(name, "string") != "string"}
    # In the users feed's column order, then the undefined ones by name (jsonb keeps no order).
    erased = [name for name in types if name in player.custom and name not in kept]
    erased += sorted(name for name in player.custom if name not in types)
    return erased, kept
