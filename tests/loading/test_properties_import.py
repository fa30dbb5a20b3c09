"""Properties of the import readers (``loading/readers.py``), checked with hypothesis.

Any records written as CSV (by Python's csv writer) or as JSON (by ``json.dumps``, in
any layout) read back as the same records, however the stream is cut into reads; a
corrupted byte or line is refused as ``ImportRefused`` naming its line, never another
exception.
"""

import csv
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loading.readers import _MEMBER, ImportRefused, _member, read_json
from tests.loading.csv_reading import read_csv

FAST = settings(max_examples=120, deadline=None, database=None)
COLUMNS = ["id", "amount", "comment", "flag"]

# Any text but surrogates (not characters, cannot be UTF-8) and NUL (refused on import).
text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1, max_size=40)
numbers = st.decimals(allow_nan=False, allow_infinity=False, places=8).map(lambda value: format(value, "f"))
records = st.lists(
    st.fixed_dictionaries(
        {"id": text, "amount": st.none() | numbers, "comment": st.none() | text, "flag": st.none() | st.sampled_from(["true", "false"])}
    ),
    max_size=12,
)


class Pieces(io.RawIOBase):
    """A stream that hands out at most ``size`` bytes a read, as a socket does."""

    def __init__(self, data: bytes, size: int):
        self.data, self.size = io.BytesIO(data), size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        piece = self.data.read(min(len(buffer), self.size))
        buffer[: len(piece)] = piece
        return len(piece)


# The csv writer quotes a field holding a character of its line terminator: with "\n" as
# the terminator a lone "\r" would go unquoted (which no reader reads back), so "\n" files
# quote every field.
DIALECTS = [("\r\n", csv.QUOTE_MINIMAL), ("\n", csv.QUOTE_ALL)]


def as_csv(rows: list[dict], dialect: tuple[str, int] = DIALECTS[0]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=dialect[0], quoting=dialect[1])
    writer.writerow(COLUMNS)
    writer.writerows([["" if row[c] is None else row[c] for c in COLUMNS] for row in rows])
    return out.getvalue().encode()


def as_json(rows: list[dict], indent: int | None, ensure_ascii: bool) -> bytes:
    # Amounts as JSON number tokens (their exact text), everything else as JSON values.
    text = json.dumps([{**row, "amount": number(row["amount"])} for row in rows], indent=indent, ensure_ascii=ensure_ascii)
    return unquote_numbers(text).encode()


def number(text: str | None) -> str | None:
    """A string that ``unquote_numbers`` turns into a JSON number token (NUL is never in the text)."""
    return None if text is None else f"\x00{text}\x00"


def unquote_numbers(text: str) -> str:
    return text.replace('"\\u0000', "").replace('\\u0000"', "")


def read_all_csv(data: bytes, size: int = 1 << 20):
    header, rows = read_csv(Pieces(data, size))
    return header, list(rows)


def read_all_json(data: bytes, size: int = 1 << 20):
    return list(read_json(Pieces(data, size)))


@FAST
@given(records, st.sampled_from(DIALECTS), st.integers(1, 64))
def test_any_records_written_as_csv_read_back_the_same(rows, dialect, size):
    header, read = read_all_csv(as_csv(rows, dialect), size)
    assert header == COLUMNS
    assert [record.values for record in read] == rows


@FAST
@given(records, st.sampled_from([None, 0, 2]), st.booleans(), st.integers(1, 64))
def test_any_records_written_as_json_read_back_the_same(rows, indent, ensure_ascii, size):
    read = read_all_json(as_json(rows, indent, ensure_ascii), size)
    assert [record.values for record in read] == rows


@FAST
@given(records.filter(bool), st.data())
def test_each_record_knows_the_line_it_starts_on(rows, data):
    encoded = as_json(rows, 2, False)
    starts = [n + 1 for n, line in enumerate(encoded.split(b"\n")) if line.strip() == b"{"]
    assert [record.line for record in read_all_json(encoded)] == starts
    _, read = read_all_csv(as_csv(rows))
    # A record starts on the line after the previous one ends (quoted fields may hold line
    # breaks; in CSV a lone carriage return ends a line too, as in Python's text mode).
    assert [record.line for record in read] == [csv_lines(as_csv(rows[:n])) + 1 for n in range(len(rows))]


def csv_lines(data: bytes) -> int:
    return data.count(b"\n") + data.replace(b"\r\n", b"").count(b"\r")


BAD_BYTES = [b"\xff", b"\x80", b"\xc3", b"\xe2\x82", b"\xf0\x9f\x8e", b"\xed\xa0\x80", b"\xc0\xaf"]


@FAST
@given(records.filter(bool), st.sampled_from(["csv", "json"]), st.sampled_from(BAD_BYTES), st.data())
def test_an_invalid_utf8_sequence_anywhere_is_refused_on_its_line(rows, form, bad, data):
    encoded = as_csv(rows) if form == "csv" else as_json(rows, data.draw(st.sampled_from([None, 2])), False)
    at = data.draw(st.integers(0, len(encoded)))
    while at and 0x80 <= encoded[at - 1] and at < len(encoded) and 0x80 <= encoded[at] < 0xC0:
        at -= 1  # not inside a character: that would make two bad sequences, the first one earlier
    corrupted = encoded[:at] + bad + encoded[at:]
    with pytest.raises(ImportRefused) as excinfo:
        read_all_csv(corrupted, data.draw(st.integers(1, 64))) if form == "csv" else read_all_json(corrupted, data.draw(st.integers(1, 64)))
    assert "not UTF-8" in str(excinfo.value)
    assert excinfo.value.line == (csv_lines(encoded[:at]) if form == "csv" else encoded.count(b"\n", 0, at)) + 1


@FAST
@given(records.filter(bool), st.sampled_from(["csv", "json"]), st.data())
def test_any_single_corrupted_byte_is_read_or_refused_with_a_line_of_the_file(rows, form, data):
    encoded = as_csv(rows) if form == "csv" else as_json(rows, data.draw(st.sampled_from([None, 2])), False)
    at = data.draw(st.integers(0, len(encoded) - 1))
    corrupted = encoded[:at] + bytes([data.draw(st.integers(0, 255))]) + encoded[at + 1 :]
    try:
        read_all_csv(corrupted) if form == "csv" else read_all_json(corrupted)
    except ImportRefused as refused:
        lines = csv_lines(corrupted) if form == "csv" else corrupted.count(b"\n")
        assert refused.line is not None and 1 <= refused.line <= lines + 1, refused


@FAST
@given(records.filter(bool), st.data())
def test_a_json_member_without_its_colon_is_refused_on_its_line(rows, data):
    lines = as_json(rows, 2, False).split(b"\n")
    members = [n for n, line in enumerate(lines) if line.startswith(b'    "') and b'": ' in line]
    n = data.draw(st.sampled_from(members))
    lines[n] = lines[n].replace(b'": ', b'" ', 1)
    with pytest.raises(ImportRefused) as excinfo:
        read_all_json(b"\n".join(lines))
    assert excinfo.value.line == n + 1


@FAST
@given(records.filter(bool), st.data())
def test_a_csv_record_with_an_extra_field_is_refused_on_the_line_it_starts(rows, data):
    n = data.draw(st.integers(0, len(rows) - 1))
    before = as_csv(rows[:n])
    record = as_csv(rows[n : n + 1])[len(as_csv([])) :]  # ends with "\r\n"
    if b"\r" in record[:-2] or b"\n" in record[:-2]:
        return  # a record with line breaks in its fields: the extra field would land inside one
    bad = record[:-2] + b",extra\r\n"
    with pytest.raises(ImportRefused) as excinfo:
        read_all_csv(before + bad + as_csv(rows[n + 1 :])[len(as_csv([])) :])
    assert excinfo.value.line == csv_lines(before) + 1


keys = st.text(st.characters(blacklist_categories=["Cs"]), max_size=8)
# No NUL in text values: it marks the number tokens.
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=8), numbers.map(number))
spaces = st.text(" \t\r\n", max_size=3)


@FAST
@given(keys, scalars, spaces, spaces, st.sampled_from([",", "}"]), st.booleans())
def test_the_fast_member_pattern_and_the_step_parser_read_a_member_alike(key, value, before, after, end, ensure_ascii):
    token = unquote_numbers(json.dumps(value, ensure_ascii=ensure_ascii))
    text = f"{before}{json.dumps(key, ensure_ascii=ensure_ascii)}{after}:{before}{token}{after}{end}"
    slow = _member(text, 0)
    match = _MEMBER.match(text)
    assert match is not None and match.end() == slow[5] == len(text)
    assert slow[0] == key and slow[4] == end
    if isinstance(value, bool) or value is None:
        expected = {None: None, True: "true", False: "false"}[value]
    elif isinstance(value, int):
        expected = str(value)
    else:
        expected = value.strip("\x00") or None
    assert slow[1] == expected
    # The reader (the fast pattern where it matches) gives the same value.
    record = f"[{{{text[:-1]}}}]".encode()
    assert [r.values for r in read_json(io.BytesIO(record))] == [{key: expected}]
