"""The pattern of a good CSV record, byte for byte: what the fast path of an import vouches for.

Each column's kind is written once as a byte pattern that accepts only text its ``parse``
accepts *and* the database reads to the same value (``Stage.convert``, ``loading/staging.py``):
``12.5`` for money, ``2024-01-31 10:00:00`` for a timestamp, a choice, an id of at most 64
bytes, and so on. A line the pattern does not match is read and parsed record by record,
so a record the pattern is merely too strict for (a 29 February, ``+`` as the separator,
a non-ASCII id) is taken all the same, and every fault keeps its message and place.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from feeds import columns as kinds
from loading.readers import MAX_FIELD_CHARS

if TYPE_CHECKING:
    from loading.plan import ColumnPlan

# A free cell: anything but what ends it, a quote, a line break or NUL (refused in text).
_FREE = rb'[^",\r\n\x00]'
_QUOTED = rb'(?:[^"\r\n\x00]|"")'  # inside quotes: a doubled quote is one character
_DATE = (
    rb"(?!0000)[0-9]{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
)  # 29 February is left to the parser, which knows leap years
_TIME = rb"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
_FLAG = rb"(?i:true|yes|1|false|no|0)"


def _before(day: dt.date) -> bytes:
    """A pattern for the dates YYYY-MM-DD earlier than ``day``, compared digit by digit."""
    text = day.isoformat().encode()
    options = []
    for at in range(len(text)):
        digit = text[at : at + 1]
        if digit != b"-" and digit != b"0":
            options.append(re.escape(text[:at]) + b"[0-" + bytes([digit[0] - 1]) + b"]")
    return b"(?=" + b"|".join(options) + b")"


def _value(kind: kinds.Kind, before: dt.date | None) -> bytes | None:
    """What a non-empty cell of ``kind`` may be on the fast path; None: no fast path for it."""
    if type(kind) is kinds.Text:
        if kind.choices:
            choices = [c for c in kind.choices if c and (not kind.max_length or len(c) <= kind.max_length)]
            return b"(?:" + b"|".join(re.escape(c.encode()) for c in choices) + b")" if choices else None
        return b"%s{1,%d}" % (_FREE, kind.max_length or MAX_FIELD_CHARS)
    if type(kind) is kinds.Integer:
        return rb"-?[0-9]{1,18}"
    if type(kind) is kinds.Money:
        # Plain decimal text as written (no sign but -, no leading zero): SQLite stores it as it is.
        return rb"-?(?:0|[1-9][0-9]{0,%d})(?:\.[0-9]{1,%d})?" % (kind.max_digits - kind.decimal_places - 1, kind.decimal_places)
    if type(kind) is kinds.Timestamp:
        return (_before(before) if before else b"") + _DATE + b"[ T]" + _TIME
    if type(kind) is kinds.Date:
        return _DATE
    if type(kind) in (kinds.FlagWord, kinds.FlagDigit):
        return _FLAG
    return None


def _cell(kind: kinds.Kind | None, required: bool, before: dt.date | None) -> bytes | None:
    """One cell, bare or in quotes; ``kind`` None: a column whose cells are not read."""
    if kind is None:
        return b'(?:%s{0,%d}|"%s{0,%d}")' % (_FREE, MAX_FIELD_CHARS, _QUOTED, MAX_FIELD_CHARS)
    value = _value(kind, before)
    if value is None:
        return None
    if type(kind) is kinds.Text and not kind.choices:
        # Free text: quoted, a cell may hold a comma or a doubled quote.
        count = kind.max_length or MAX_FIELD_CHARS
        quoted = b"%s{%d,%d}" % (_QUOTED, 1 if required else 0, count)
    else:
        quoted = value if required else b"(?:%s)?" % value  # a value needs no quotes, but may have them
    bare = value if required else b"(?:%s)?" % value
    return b'(?:%s|"%s")' % (bare, quoted)


def line_pattern(plans: dict[str, ColumnPlan | None], kinds_of: dict[str, Any], header: list[str], before: dt.date | None) -> re.Pattern[bytes] | None:
    """The pattern of one good record of a CSV with ``header``, None when a column has no fast form.

    ``plans`` are the importer's plans (None: the column is not read); ``before``, when
    kept timestamps must be in the past, is a day they must come before to be vouched for.
    """
    cells = []
    for name in header:
        plan = plans[name]
        if plan is None:
            # Not read (the window timestamp the service stamps), but it may be COPYed
            # straight into the table: the pattern takes only what the column can hold.
            cell = _cell(kinds_of[name], False, None) or _cell(None, False, None)
        else:
            if plan.custom:
                return None  # merged into the JSON of custom values: every record parsed in Python
            cell = _cell(kinds_of[name], plan.required, before if plan.must_be_past else None)
        if cell is None:
            return None
        cells.append(cell)
    # A line of just \. (a one-column file) would end COPY's data: the rest would be lost.
    return re.compile(rb"(?!\\\.\Z)" + b",".join(cells))
