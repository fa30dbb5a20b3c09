"""The seconds between two times, in SQL, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from django.db.models import FloatField, Func


class Seconds(Func):
    """``Seconds(a, b)``: the seconds from ``b`` to ``a`` (a float; negative when ``a``
    is earlier), two times in SQL.

    PostgreSQL subtracts the epochs. SQLite has no interval type: it subtracts the two
    times' julianday() (days, a float, exact to well under a millisecond in this era);
    not strftime('%s'), whose % signs break Django's query logging under DEBUG."""

    arity = 2
    output_field = FloatField()
    arg_joiner = ") - EXTRACT(EPOCH FROM "
    template = "(EXTRACT(EPOCH FROM %(expressions)s))::double precision"

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday(",
            **extra_context,
        )
