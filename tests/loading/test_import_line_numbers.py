"""Every refusal names the exact physical line (issue 7: a bad byte on line 5002 was reported as 4932).

The old reader decoded the file through a text layer that reads ahead, so the line it
blamed was wherever the decoder happened to be. Now bytes are decoded a line (CSV) or a
block cut between characters (JSON) at a time and the line is counted in bytes.
"""

import io
import json

import pytest

from loading.readers import ImportRefused, read_json
from tests.loading.csv_reading import read_csv
from tests.support.imports import refused_import

pytestmark = pytest.mark.django_db

HEADER = b"id,player_id,amount,currency,dir,created_at,comment\n"


def csv_rows(count: int) -> list[bytes]:
    return [f"t{n},p1,1,EUR,IN,2020-10-10 07:00:00,row {n}\n".encode() for n in range(count)]


def json_rows(count: int) -> list[bytes]:
    record = '{{"id": "t{n}", "player_id": "p1", "amount": 1, "currency": "EUR", "dir": "IN", "created_at": "2020-10-10 07:00:00", "comment": "row {n}"}}'
    return [b"[\n"] + [(record.format(n=n) + (",\n" if n < count - 1 else "\n")).encode() for n in range(count)] + [b"]\n"]


@pytest.mark.parametrize("bad", [b"\xff", b"\xc3(", b"\xe2\x82", b"\xed\xa0\x80"], ids=["ff", "bad-continuation", "truncated", "surrogate"])
def test_a_bad_utf8_byte_on_line_5002_of_a_csv_is_reported_on_line_5002(tmp_path, bad):
    lines = [HEADER, *csv_rows(6000)]
    # Multi-byte text before it: a decoder reading ahead in characters drifts further.
    lines[:5001] = [line.replace(b"row", "rów €".encode()) for line in lines[:5001]]
    lines[5001] = lines[5001].replace(b"row", b"r" + bad + b"w")
    message = refused_import(tmp_path / "t.csv", b"".join(lines))
    assert "line 5002:" in message and "not UTF-8" in message, message


def test_a_bad_utf8_byte_inside_a_multi_line_quoted_field_is_reported_on_its_own_line(tmp_path):
    data = HEADER + b't1,p1,1,EUR,IN,2020-10-10 07:00:00,"one\ntwo\nth\xffree"\n'
    assert "line 4:" in refused_import(tmp_path / "t.csv", data)


def test_a_bad_utf8_byte_on_line_5002_of_a_json_file_is_reported_on_line_5002(tmp_path):
    lines = json_rows(6000)
    lines[5001] = lines[5001].replace(b"row", b"r\xffw")
    message = refused_import(tmp_path / "t.json", b"".join(lines))
    assert "line 5002:" in message and "not UTF-8" in message, message


def test_a_bad_utf8_byte_in_a_json_file_on_one_line_names_its_byte(tmp_path):
    data = bytearray(b"[" + b",".join(line.strip(b",\n") for line in json_rows(3000)[1:-1]) + b"]")
    at = len(data) - 1000
    data[at] = 0xFF
    message = refused_import(tmp_path / "t.json", bytes(data))
    assert "line 1:" in message and f"byte {at + 1} of the line" in message, message


@pytest.mark.parametrize(
    "broken, line",
    [
        (lambda rows: rows.__setitem__(4000, rows[4000].replace(b'"amount": 1', b'"amount" 1')), 4001),
        (lambda rows: rows.__setitem__(4000, rows[4000].replace(b"},", b"}")), 4002),
        (lambda rows: rows.__setitem__(4000, rows[4000].replace(b"row", b'r"ow')), 4001),
        (lambda rows: rows.__setitem__(4000, rows[4000].replace(b"row", b"r\tow")), 4001),
        (lambda rows: rows.__setitem__(4000, rows[4000].replace(b'"amount": 1', b'"amount": 1.')), 4001),
        (lambda rows: rows.__delitem__(slice(4000, None)), 4000),  # the file ends inside the array
    ],
    ids=["no-colon", "no-comma", "stray-quote", "raw-tab", "bad-number", "truncated"],
)
def test_a_json_syntax_error_is_reported_on_its_line(tmp_path, broken, line):
    rows = json_rows(6000)
    broken(rows)
    message = refused_import(tmp_path / "t.json", b"".join(rows))
    assert f"line {line}" in message, message


def test_the_lines_of_a_json_record_spanning_lines_are_counted():
    data = json.dumps([{"id": f"t{n}", "comment": "x"} for n in range(3)], indent=2).encode()
    records = list(read_json(io.BytesIO(data)))
    assert [record.line for record in records] == [2, 6, 10]


def test_a_bad_byte_is_found_on_its_line_when_the_stream_gives_short_reads():
    # A request body arrives in pieces; a character may be split between two of them.
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            piece = self.data.read(min(len(buffer), 3))
            buffer[: len(piece)] = piece
            return len(piece)

    good = '[\n{"comment": "€uro"},\n{"comment": "日本"}'.encode()
    assert [record.values for record in read_json(Trickle(good + b"]"))] == [{"comment": "€uro"}, {"comment": "日本"}]
    with pytest.raises(ImportRefused) as excinfo:
        list(read_json(Trickle(good + ',\n{"comment": "€'.encode()[:-1] + b'"}]')))
    assert excinfo.value.line == 4
    header, records = read_csv(Trickle("a,b\n€,日本\n€,".encode() + b"\xff\n"))
    with pytest.raises(ImportRefused) as excinfo:
        list(records)
    assert excinfo.value.line == 3


def test_a_csv_with_carriage_returns_for_line_ends_is_read_line_by_line():
    # Old Mac files (Excel's "CSV (Macintosh)"); a quoted carriage return stays in its field.
    data = b'a,b\r1,"x\ry"\r2,z\r'
    header, records = read_csv(io.BytesIO(data))
    assert header == ["a", "b"]
    assert [(record.line, record.values) for record in records] == [(2, {"a": "1", "b": "x\ry"}), (4, {"a": "2", "b": "z"})]
    header, records = read_csv(io.BytesIO(b"a,b\r1,2\r3\r"))
    with pytest.raises(ImportRefused) as excinfo:
        list(records)
    assert excinfo.value.line == 3
