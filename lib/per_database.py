"""A filter condition with a form of its own on PostgreSQL.

Where the two databases answer one question best with different indexes (a GiST index
exists only on PostgreSQL), the queryset carries both forms and each is compiled for the
connection that runs it (Django's ``as_<vendor>`` dispatch), so a queryset built once
is right on SQLite, on the primary and on a replica alike. Both forms must select the
same rows: the tests that use them run on both databases.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Expression, Q


class OnEachDatabase(Expression):
    conditional = True
    output_field = BooleanField()

    def __init__(self, portable: Q, *, postgresql: Q):
        super().__init__()
        self.portable, self.postgresql = portable, postgresql

    def get_source_expressions(self) -> list[Any]:
        return [self.portable, self.postgresql]

    def set_source_expressions(self, expressions: list[Any]) -> None:
        self.portable, self.postgresql = expressions

    def resolve_expression(self, query: Any = None, allow_joins: bool = True, reuse: Any = None,
                           summarize: bool = False, for_save: bool = False) -> OnEachDatabase:
        resolved = self.copy()
        # Each Q becomes a WHERE clause of the query it filters (its lookups resolved).
        resolved.set_source_expressions(
            [q.resolve_expression(query, allow_joins, reuse, summarize, for_save) for q in self.get_source_expressions()]
        )
        return resolved

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        return compiler.compile(self.portable)

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        return compiler.compile(self.postgresql)
