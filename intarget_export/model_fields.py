"""Field shapes shared by every feed model, so that the rules of the spec live once.

- Identifiers are opaque strings of up to 64 characters (integers in some products,
  UUIDs in others).
- Money holds crypto currencies: 8 decimal places.
- Optional values are NULL when absent, so that CSV writes an empty field and JSON null.
- References between feeds carry no database constraint: feeds arrive independently, and
  a transaction for a player not loaded yet must still be accepted. The ForeignKey is
  kept for the admin's navigation and for joins.
"""

from typing import Any

from django.db import models

ID_LENGTH = 64


def external_id(**kwargs: Any) -> models.CharField:
    return models.CharField(max_length=ID_LENGTH, **kwargs)


def optional_text() -> models.TextField:
    return models.TextField(null=True, blank=True)


def money(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=30, decimal_places=8, **kwargs)


def loose_reference(to: str, related_name: str, **kwargs: Any) -> models.ForeignKey:
    return models.ForeignKey(
        to,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name=related_name,
        **kwargs,
    )


# Which balance money came from: wallets.type, games.balance_type, bets.kind.
BALANCE_KINDS = ("Normal", "Prize", "Other")


def as_choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]
