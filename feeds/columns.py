"""Column kinds: how one value is written to CSV, written to JSON, and parsed on import.

Each kind owns all three directions, so CSV, JSON and the importer cannot drift apart.
``cell`` and ``json`` receive what the database returns (``None`` for an absent value);
``parse`` receives the text of a CSV cell or a JSON scalar and raises ``ValueError``
whose message states the expected form.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Context, Decimal
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # C-accelerated
from typing import Any

TIMESTAMP_FORM = "YYYY-MM-DD HH:MM:SS"
DATE_FORM = "YYYY-MM-DD"
# Plain decimal text: sign, integer digits, optional fraction; no exponent, no spaces.
_DECIMAL_RE = re.compile(r"[-+]?(\d+)(?:\.(\d*))?")
# Exact arithmetic for amounts of up to 30 digits: the default context (28 digits) would
# round normalize() and fail quantize() on the largest values a money column holds.
_EXACT = Context(prec=64)
_TIMESTAMP_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T+](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?")


def parse_timestamp(text: str) -> dt.datetime:
    """Parse ``YYYY-MM-DD HH:MM:SS`` (``T`` or ``+`` also accepted as separator) as UTC."""
    text = text.strip()
    # The pattern decides what is accepted; fromisoformat (in C) then builds the value,
    # several times faster than assembling it from the groups (import_feed parses millions).
    if not _TIMESTAMP_RE.fullmatch(text):
        raise ValueError(f"expected a UTC timestamp {TIMESTAMP_FORM}, got {text!r}")
    if text[10] == "+":
        text = f"{text[:10]} {text[11:]}"
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise ValueError(f"expected a UTC timestamp {TIMESTAMP_FORM}, got {text!r}") from None


def format_timestamp(value: dt.datetime) -> str:
    # Truncate, never round: a rounded value could leave the window it was selected by.
    # isoformat() zero-pads the year, unlike strftime("%Y") on glibc.
    return value.astimezone(dt.timezone.utc).isoformat(" ")[:19]


def format_money(value: Decimal) -> str:
    """Plain decimal text: no exponent, no trailing zeros, no ``-0`` (``0E-8`` -> ``0``)."""
    if not value:
        return "0"
    return format(value.normalize(_EXACT), "f")


class Kind:
    """A column's value type. Subclasses override what differs from plain text.

    ``sql_text`` is the PostgreSQL form of ``cell`` and ``sql_json`` of ``json`` (the
    COPY fast path, ``serving/copy_stream.py``); tests compare both paths byte for byte. An
    empty string is an absent value in both.
    """

    expected = "text"
    # PostgreSQL expression giving the cell's text from %(expressions)s; NULL when absent.
    sql_text = "NULLIF(%(expressions)s, '')"
    # True when the cell text is itself the JSON token (numbers, booleans).
    json_is_cell = False
    # SQLite expression giving the cell's text from %(expressions)s, where reading the
    # stored value into Python and formatting it again is the costly part of SQLite's
    # answers (serving/streaming.py); None: ``cell`` formats the value in Python.
    sqlite_text: str | None = None
    # SQLite expression giving exactly the cell's text from %(expressions)s, NULL when
    # absent, for work done wholly in the database (the digests, serving/digest.py,
    # hash each row's text there); None where SQLite cannot write it exactly. Text is
    # stored as its cell.
    sqlite_cell: str | None = "%(expressions)s"

    def cell(self, value: Any) -> str:
        return "" if value is None else str(value)

    def json(self, value: Any) -> str:
        cell = self.cell(value)
        if value is None or cell == "":
            return "null"
        return cell if self.json_is_cell else encode_basestring(cell)

    def sql_json(self) -> str:
        if self.json_is_cell:
            return f"COALESCE({self.sql_text}, 'null')"
        return f"COALESCE(to_json({self.sql_text})::text, 'null')"

    def parse(self, text: str) -> Any:
        return text


class Text(Kind):
    def __init__(self, max_length: int | None = None, choices: tuple[str, ...] = ()):
        self.max_length = max_length
        self.choices = choices
        if choices:
            self.expected = "one of " + ", ".join(choices)
        elif max_length:
            self.expected = f"text of at most {max_length} characters"

    def parse(self, text: str) -> str:
        if "\x00" in text:
            raise ValueError("expected text without NUL characters")
        if self.choices and text not in self.choices:
            raise ValueError(f"expected {self.expected}, got {text!r}")
        if self.max_length and len(text) > self.max_length:
            raise ValueError(f"expected {self.expected}, got {len(text)} characters")
        return text


class Integer(Kind):
    expected = "an integer"
    sql_text = "(%(expressions)s)::text"
    sqlite_cell = "CAST(%(expressions)s AS TEXT)"
    json_is_cell = True

    def parse(self, text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected {self.expected}, got {text!r}") from None


class Money(Kind):
    """Amounts up to 8 decimal places (crypto currencies), written as plain decimal text."""

    expected = "a decimal number with at most 8 decimal places, like 12.5"
    sql_text = "trim_scale(%(expressions)s)::text"
    # Not written in SQLite's SQL: the cell is the stored text normalized by Python
    # (format_money). No digest hashes a money column.
    sqlite_cell = None
    json_is_cell = True

    def __init__(self, decimal_places: int = 8, max_digits: int = 30):
        self.decimal_places = decimal_places
        self.max_digits = max_digits

    def cell(self, value: Any) -> str:
        # In JSON too (json_is_cell): a number token with this exact text, no float on the way.
        return "" if value is None else format_money(Decimal(value))

    def parse(self, text: str) -> Decimal:
        match = _DECIMAL_RE.fullmatch(text)
        if not match or len(match.group(2) or "") > self.decimal_places:
            raise ValueError(f"expected {self.expected}, got {text!r}")
        if len(match.group(1).lstrip("0")) > self.max_digits - self.decimal_places:
            raise ValueError(f"expected {self.expected}, got {text!r} (too large)")
        return Decimal(text)


class Decimal2(Money):
    """Custom decimal fields: written with exactly two decimal places."""

    expected = "a decimal number with at most 2 decimal places, like 12.50"
    sql_text = Kind.sql_text  # stored as its canonical text
    sqlite_cell = Kind.sqlite_cell

    def __init__(self) -> None:
        super().__init__(decimal_places=2, max_digits=30)

    def cell(self, value: Any) -> str:
        return "" if value is None else format(Decimal(value).quantize(Decimal("0.01"), context=_EXACT), "f")

    def parse(self, text: str) -> str:  # type: ignore[override]
        # Custom values are stored in their canonical written form.
        return self.cell(super().parse(text))


class JSONString(Kind):
    """Another kind written as a JSON string of that kind's cell text (``money=string``).

    CSV cells, import parsing and the PostgreSQL text are the wrapped kind's own; only the
    JSON token changes, from ``12.5`` to ``"12.5"``, the same digits.
    """

    def __init__(self, kind: Kind):
        self.kind = kind
        self.expected = kind.expected
        self.sql_text = kind.sql_text
        self.sqlite_cell = kind.sqlite_cell

    def cell(self, value: Any) -> str:
        return self.kind.cell(value)

    def parse(self, text: str) -> Any:
        return self.kind.parse(text)


class Timestamp(Kind):
    expected = f"a UTC timestamp {TIMESTAMP_FORM}"
    # to_char truncates the fraction, as format_timestamp does.
    sql_text = "to_char((%(expressions)s) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    # SQLite keeps a datetime as UTC text; datetime() reads it (any ISO form, an offset
    # applied) and writes YYYY-MM-DD HH:MM:SS, the fraction truncated. Parsing it into a
    # datetime and formatting it back cost a third of the time of a SQLite answer. Not
    # strftime: its format's % signs break Django's query logging (DEBUG's last query).
    sqlite_text = sqlite_cell = "datetime(%(expressions)s)"

    def cell(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, str):  # custom datetime fields are stored canonical
            return value
        return format_timestamp(value)

    def parse(self, text: str) -> dt.datetime:
        return parse_timestamp(text)


class CanonicalTimestamp(Timestamp):
    """Custom datetime fields: parsed, then stored as their canonical text."""

    sql_text = Kind.sql_text
    sqlite_text = None  # read as the canonical text it is
    sqlite_cell = Kind.sqlite_cell

    def parse(self, text: str) -> str:  # type: ignore[override]
        return format_timestamp(parse_timestamp(text))


class CanonicalInteger(Integer):
    """Custom integer fields, stored as canonical text in the player's custom values."""

    sql_text = Kind.sql_text
    sqlite_cell = Kind.sqlite_cell

    def parse(self, text: str) -> str:  # type: ignore[override]
        return str(super().parse(text))


class Date(Kind):
    expected = f"a date {DATE_FORM}"
    sql_text = "to_char(%(expressions)s, 'YYYY-MM-DD')"

    def cell(self, value: Any) -> str:
        return "" if value is None else value.isoformat()

    def parse(self, text: str) -> dt.date:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"expected {self.expected}, got {text!r}") from None


_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


class _Flag(Kind):
    expected = "true or false (1 or 0 accepted on import)"
    true_cell = "true"
    false_cell = "false"
    json_is_cell = True

    @property
    def sql_text(self) -> str:  # type: ignore[override]
        return f"CASE %(expressions)s WHEN true THEN '{self.true_cell}' WHEN false THEN '{self.false_cell}' END"

    @property
    def sqlite_cell(self) -> str:  # type: ignore[override]
        # SQLite keeps a boolean as the integer 1 or 0.
        return f"CASE %(expressions)s WHEN 1 THEN '{self.true_cell}' WHEN 0 THEN '{self.false_cell}' END"

    def cell(self, value: Any) -> str:
        if value is None:
            return ""
        return self.true_cell if value else self.false_cell

    def parse(self, text: str) -> bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"expected {self.expected}, got {text!r}")


class FlagWord(_Flag):
    """``true``/``false`` in CSV, JSON booleans."""


class FlagDigit(_Flag):
    """``1``/``0`` in CSV and as JSON numbers (``is_success``)."""

    expected = "1 or 0 (true or false accepted on import)"
    true_cell = "1"
    false_cell = "0"


TEXT = Text()
ID = Text(max_length=64)
INTEGER = Integer()
MONEY = Money()
TIMESTAMP = Timestamp()
DATE = Date()
FLAG_WORD = FlagWord()
FLAG_DIGIT = FlagDigit()

# The types an operator may give a custom player field, by the name used on the
# command line and in the admin.
CUSTOM_KINDS: dict[str, Kind] = {
    "integer": CanonicalInteger(),
    "decimal": Decimal2(),
    "string": TEXT,
    "datetime": CanonicalTimestamp(),
}
