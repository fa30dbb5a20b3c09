"""The ``money`` query parameter: money in JSON as numbers (the default) or as strings.

Many JSON clients read every number as a float (``json.loads``, orjson, dlt, Airbyte):
``12345678901.12345678`` arrives as ``12345678901.123457``. With ``money=string`` every
money column (each ``columns.Money`` kind: amounts, balances, stakes, odds, custom decimal
fields of ``users``) is a JSON string with exactly the digits of the CSV cell, which such
a client keeps as text. CSV has no number type: there the parameter is accepted and
changes nothing, so one client configuration can ask for either format.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from rest_framework.exceptions import ValidationError

from feeds import columns as kinds
from feeds.registry import Column

PARAM = "money"
NUMBER = "number"
STRING = "string"
FORMS = (NUMBER, STRING)
UNKNOWN = (
    "money must be number (the default: JSON numbers) or string (JSON strings with the same digits,"
    " for clients that parse numbers as floats); got {value!r}"
)


def parse_money(params: Mapping[str, str]) -> str:
    """``number`` or ``string``; absent or empty is ``number``, as an empty ``format`` is CSV."""
    value = (params.get(PARAM) or "").strip()
    if not value:
        return NUMBER
    if value.lower() not in FORMS:
        raise ValidationError({PARAM: [UNKNOWN.format(value=value)]})
    return value.lower()


def money_as_strings(columns: Sequence[Column]) -> tuple[Column, ...]:
    """``columns`` with every money column written as a JSON string, the rest untouched."""
    return tuple(
        dataclasses.replace(column, kind=kinds.JSONString(column.kind)) if isinstance(column.kind, kinds.Money) else column
        for column in columns
    )
