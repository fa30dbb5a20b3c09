"""Field shapes shared by every feed model, so that the rules of the spec live once.

- Identifiers are opaque strings of up to 64 characters (integers in some products,
  UUIDs in others).
- Money holds crypto currencies: 8 decimal places.
- Optional values are NULL when absent, so that CSV writes an empty field and JSON null.
- References between feeds carry no database constraint: feeds arrive independently, and
  a transaction for a player not loaded yet must still be accepted. The ForeignKey is
  kept for the admin's navigation and for joins.
"""

from decimal import Decimal
from typing import Any

from django.db import models

from feeds.stamping import SQLITE_PRESERVING, preserving

ID_LENGTH = 64


class ExternalIdField(models.CharField):
    """An opaque identifier, ordered by its bytes on every database.

    Rows are served in (window timestamp, id) order. SQLite compares text bytewise; a
    PostgreSQL database created with a locale collation (en_US) would order ids by
    language rules instead, so the column (and its index) uses the "C" collation there.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            # The same type, spelled so that Django adds no second "_like" index
            # (varchar_pattern_ops) to every id and reference: ids are matched exactly,
            # and under the C collation the plain index serves LIKE 'prefix%' anyway.
            # Each index less is one less to maintain on every imported row.
            return f"character varying({self.max_length})"
        return super().db_type(connection)


def external_id(verbose_name: str | None = None, **kwargs: Any) -> ExternalIdField:
    return ExternalIdField(verbose_name, max_length=ID_LENGTH, **kwargs)


def optional_text(verbose_name: str | None = None) -> models.TextField:
    return models.TextField(verbose_name, null=True, blank=True)


class MoneyField(models.DecimalField):
    """An exact decimal on every database.

    PostgreSQL's numeric is exact. SQLite has no decimal type: its numeric affinity keeps
    a float of 15 significant digits (123456789012.12345678 would come back as
    123456789012.123), so on SQLite the value is stored as its plain decimal text, and
    sums go through ``MoneySum``, which adds exactly.
    """

    def get_internal_type(self) -> str:
        # Not "DecimalField": Django's SQLite backend would read every value through a
        # float converter. db_type() below gives each database its column type.
        return "MoneyField"

    def db_type(self, connection: Any) -> str:
        if connection.vendor == "sqlite":
            return "text"
        return f"numeric({self.max_digits}, {self.decimal_places})"

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        value = super().get_db_prep_value(value, connection, prepared)
        if value is not None and connection.vendor == "sqlite":
            return format(Decimal(value), "f")
        return value

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        # Text from SQLite; an int where COALESCE supplied a literal 0.
        return Decimal(str(value))


class MoneySum(models.Sum):
    """SUM that stays exact on SQLite too (see MoneyField)."""

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(compiler, connection, function=SQLITE_DECIMAL_SUM, **extra_context)


SQLITE_DECIMAL_SUM = "intarget_decimal_sum"


class _SQLiteDecimalSum:
    """The aggregate behind MoneySum on SQLite, registered on each new connection."""

    def __init__(self) -> None:
        self.total: Decimal | None = None

    def step(self, value: Any) -> None:
        if value is not None:
            self.total = (self.total or Decimal(0)) + Decimal(str(value))

    def finalize(self) -> str | None:
        return None if self.total is None else format(self.total, "f")


SQLITE_DECIMAL_ADD = "intarget_decimal_add"


def _sqlite_decimal_add(left: Any, right: Any) -> str:
    """``left + right`` exactly, for the games session triggers' running sums on SQLite."""
    return format(Decimal(str(left)) + Decimal(str(right)), "f")


def register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_DECIMAL_SUM, 1, _SQLiteDecimalSum)
        connection.connection.create_function(SQLITE_DECIMAL_ADD, 2, _sqlite_decimal_add, deterministic=True)
        # Whether this thread keeps the timestamps it writes (feeds/stamping.py), for the
        # triggers that stamp on SQLite (games/session_triggers.py, deletions/triggers.py).
        connection.connection.create_function(SQLITE_PRESERVING, 0, lambda: int(preserving()))


def money(**kwargs: Any) -> MoneyField:
    return MoneyField(max_digits=kwargs.pop("max_digits", 30), decimal_places=8, **kwargs)


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
