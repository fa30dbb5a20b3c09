"""Reading an import: CSV or JSON bytes to records, each knowing the line it starts on.

Both readers take a binary stream (a file, a request body) and read it incrementally:
time is linear in the size of the input and memory is bounded by the longest line (CSV)
or the longest value (JSON), never by the size of the file. Every refusal is an
``ImportRefused`` naming the exact physical line (and the column, when one is known):

- bytes are decoded in whole lines or whole characters, so an invalid UTF-8 byte is
  reported on its own line, not where a read-ahead decoder happened to be;
- one value may hold at most ``MAX_FIELD_CHARS`` characters, in CSV and in JSON alike;
- a JSON record is a flat object of scalars: a nested object or array is refused where
  it starts, and nothing recurses into it, so no depth can exhaust the stack; a key
  given twice in one object is refused too (``json.loads`` would keep the later value).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from json.decoder import JSONDecodeError, JSONDecoder, scanstring  # type: ignore[attr-defined]  # C-accelerated
from typing import BinaryIO

# The longest value, in characters, in either format: Python's csv default
# field_size_limit, which CSV imports always had.
MAX_FIELD_CHARS = 131_072
# The longest physical CSV line, in bytes: what one line may cost in memory.
MAX_LINE_BYTES = 32 * 2**20
CHUNK_BYTES = 2**16  # JSON is read in blocks of this size (a file may be a single line)
_BOM = b"\xef\xbb\xbf"


# The most faults one refusal lists: enough to fix a file in one go, few enough to read.
MAX_FAULTS = 20


@dataclass(frozen=True, slots=True)
class Fault:
    """One reason a file was refused, where it is."""

    message: str
    line: int | None = None
    column: str | None = None
    # The 1-based position of the record in the file (JSON: of the object in the array),
    # for answers that name records rather than lines (a pushed JSON body, section 10).
    record: int | None = None

    def __str__(self) -> str:
        where = ", ".join(filter(None, [f"line {self.line}" if self.line else "", f"column {self.column!r}" if self.column else ""]))
        return f"{where}: {self.message}" if where else self.message


class ImportRefused(Exception):
    """The file was refused; nothing was written.

    It lists every fault found, up to ``MAX_FAULTS``: bad cells are collected as the
    reading goes on, while a fault of the file's syntax ends the reading (what follows
    it cannot be told apart into records). ``message``, ``line`` and ``column`` are the
    first fault's.
    """

    def __init__(self, message: str, line: int | None = None, column: str | None = None, record: int | None = None):
        self.faults = [Fault(message, line, column, record)]
        self.stopped_at_limit = False
        super().__init__()

    @classmethod
    def of(cls, faults: list[Fault], *, stopped_at_limit: bool = False) -> ImportRefused:
        first = faults[0]
        refused = cls(first.message, first.line, first.column, first.record)
        refused.faults, refused.stopped_at_limit = list(faults), stopped_at_limit
        return refused

    @property
    def message(self) -> str:
        return self.faults[0].message

    @property
    def line(self) -> int | None:
        return self.faults[0].line

    @property
    def column(self) -> str | None:
        return self.faults[0].column

    @property
    def record(self) -> int | None:
        return self.faults[0].record

    def __str__(self) -> str:
        if len(self.faults) == 1:
            return str(self.faults[0])
        count = f"the first {len(self.faults)} faults (reading stopped there)" if self.stopped_at_limit else f"{len(self.faults)} faults"
        return "\n".join([f"{count}:", *(f"  {fault}" for fault in self.faults)])


@dataclass(slots=True)
class Record:
    line: int  # the line the record starts on
    values: dict[str, str | None]  # column name -> cell text, None when empty/null
    position: int = 0  # the 1-based position of the record in the file (JSON: in the array)
    # A JSON object spanning lines knows where each value is, to name a bad one's own
    # line: the lines themselves (read step by step), or the object's text to find them
    # in when asked (the fast path, which only a bad value ever asks).
    value_lines: dict[str, int] | None = None
    source: str | None = None

    def line_of(self, column: str) -> int:
        """The line of ``column``'s value: the record's own line but in a JSON object spanning lines."""
        if self.value_lines is not None:
            return self.value_lines.get(column, self.line)
        if self.source is not None:
            return self.line + _newlines_before_value(self.source, column)
        return self.line


def _decode(block: bytes, line: int, offset: int = 0) -> str:
    """``block`` as text; ``line`` is the line it starts on, ``offset`` bytes into that line."""
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError as error:
        start = error.start
        before = block.rfind(b"\n", 0, start)
        byte = start - before if before >= 0 else start + offset + 1
        raise ImportRefused(_not_utf8(error, block, byte), line=line + block.count(b"\n", 0, start)) from None


def _not_utf8(error: UnicodeDecodeError, block: bytes, byte: int) -> str:
    return f"not UTF-8: {error.reason} (byte {block[error.start]:#04x}, byte {byte} of the line)"


# --- CSV -------------------------------------------------------------------------------


_LONE_CR = re.compile(r"(?<=\r)(?!\n)")  # where a line ending in a lone carriage return is split
_LONE_CR_BYTES = re.compile(rb"\r(?!\n)")


def _csv_lines(stream: BinaryIO, pending: list[str], number: int = 0, split: list[bool] | None = None) -> Iterator[str]:
    """The stream's lines as text; each is also appended to ``pending``.

    A line ends at ``\n``, ``\r\n`` or a lone ``\r`` (old Mac files), as in Python's text
    mode: the csv reader counts lines the same way, so its numbers and ours agree.
    ``number`` is the count of lines before the stream's first (0: the file's start);
    ``split``, when given, is set to ``[True]`` once a read line was split at a lone
    carriage return (the pieces after the first are then held here, not in the stream).
    """
    first = number == 0
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        if len(raw) > MAX_LINE_BYTES:
            raise ImportRefused(f"a line longer than {MAX_LINE_BYTES // 2**20} MiB", line=number + 1)
        if first:
            raw, first = raw.removeprefix(_BOM), False
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            start = error.start
            before = max(raw.rfind(b"\n", 0, start), raw.rfind(b"\r", 0, start))
            raise ImportRefused(
                _not_utf8(error, raw, start - before), line=number + 1 + len(_LONE_CR_BYTES.findall(raw, 0, start))
            ) from None
        if text.find("\r", 0, len(text) - 2) >= 0:
            if split is not None:
                split[:] = [True]
            for piece in _LONE_CR.split(text):
                number += 1
                pending.append(piece)
                yield piece
            continue
        number += 1
        pending.append(text)
        yield text


def _overlong_field(text: str) -> int | None:
    """The index of the first field of one CSV record's text over the limit (for messages only)."""
    index, length, quoted, i = 0, 0, False, 0
    while i < len(text):
        char = text[i]
        if quoted:
            if char == '"' and text.startswith('"', i + 1):
                i += 1  # a doubled quote is one character
            elif char == '"':
                quoted, length = False, length - 1
            length += 1
        elif char == '"':
            quoted = True
        elif char == ",":
            index, length = index + 1, 0
        elif char in "\r\n":
            break
        else:
            length += 1
        if length > MAX_FIELD_CHARS:
            return index
        i += 1
    return None


def _too_long(header: list[str] | None, pending: list[str]) -> str | None:
    """The column whose field in the record being read is over the limit."""
    index = _overlong_field("".join(pending))
    if index is None or header is None or index >= len(header):
        return None
    return header[index]


_TOO_LONG = f"a value longer than {MAX_FIELD_CHARS} characters"


# --- CSV in blocks -------------------------------------------------------------------


# The bytes read at a time by the block reader: large enough that per-block costs vanish.
BLOCK_BYTES = 2**20


@dataclass(slots=True)
class Lines:
    """Records a line pattern has vouched for, as their raw CSV text: one a line, each
    line ending in ``\n``; ``line`` and ``position`` are the first one's."""

    data: bytes
    line: int
    count: int
    position: int


class _Chain:
    """``readline`` over some bytes already read, then the stream."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head, self.at, self.stream = head, 0, stream

    def readline(self, limit: int) -> bytes:
        head, at = self.head, self.at
        if at >= len(head):
            return self.stream.readline(limit)
        end = head.find(b"\n", at, at + limit)
        if end >= 0:
            self.at = end + 1
            return head[at : end + 1]
        piece = head[at : at + limit]
        self.at = at + len(piece)
        if len(piece) < limit and self.at >= len(head):
            piece += self.stream.readline(limit - len(piece))
        return piece

    def rest(self) -> bytes:
        """What was read from the stream but not handed out yet."""
        return self.head[self.at :]


class CsvBlocks:
    """A CSV stream read in large blocks, for importers that can take vouched-for lines whole.

    ``records(pattern)`` yields ``Lines`` for runs of lines that ``pattern`` (bytes, one
    record without its line end) matches, and a ``Record`` for anything else: those are
    read one at a time by a csv reader over the same line counting, so every fault is
    named exactly as record by record (a bad byte, a quoted field spanning lines, a wrong
    number of fields, a blank line); ``records(None)`` reads every record so. A CRLF file is read as LF; a file with a lone
    carriage return for a line end is read record by record from there on.
    """

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.pending: list[str] = []  # the lines of the record being read, for messages
        self.split = [False]
        self.chain = _Chain(b"", stream)
        lines = _csv_lines(self.chain, self.pending, 0, self.split)
        self.number = 0  # the lines read so far
        self.reader = csv.reader(self._counted(lines), strict=True)
        try:
            header = next(self.reader)
        except StopIteration:
            raise ImportRefused("the file is empty; expected a header line", line=1) from None
        except csv.Error as error:
            if "field limit" in str(error):
                raise ImportRefused(_TOO_LONG, line=1, column=_too_long(None, self.pending)) from None
            raise ImportRefused(f"malformed header line: {error}", line=1) from None
        if len(set(header)) != len(header):
            duplicated = next(name for name in header if header.count(name) > 1)
            raise ImportRefused("column named twice in the header", line=1, column=duplicated)
        self.header = header

    def _counted(self, lines: Iterator[str]) -> Iterator[str]:
        for line in lines:
            self.number += 1
            yield line

    def _step(self, position: int) -> Record | None | bool:
        """One record (or blank line) read by the csv reader: the Record, None for a blank
        line, False at the end of the file."""
        header, line = self.header, self.number + 1
        self.pending.clear()
        try:
            cells = next(self.reader)
        except StopIteration:
            return False
        except csv.Error as error:
            if "field limit" in str(error):
                raise ImportRefused(_TOO_LONG, line=line, column=_too_long(header, self.pending), record=position) from None
            raise ImportRefused(f"malformed CSV: {error}", line=line, record=position) from None
        if not cells:
            return None
        if len(cells) != len(header):
            message = f"expected {len(header)} fields as in the header, found {len(cells)}"
            raise ImportRefused(message, line=line, record=position)
        if csv.field_size_limit() > MAX_FIELD_CHARS:  # csv enforces it, unless the setting was raised
            for name, cell in zip(header, cells):
                if len(cell) > MAX_FIELD_CHARS:
                    raise ImportRefused(_TOO_LONG, line=line, column=name, record=position)
        return Record(line, {name: (cell if cell != "" else None) for name, cell in zip(header, cells)}, position)

    def _one_by_one(self, position: int) -> Iterator[Record]:
        while (record := self._step(position)) is not False:
            if record is not None:
                yield record
                position += 1

    def records(self, pattern: re.Pattern[bytes] | None) -> Iterator[Lines | Record]:
        """Everything after the header, as described above; ``None``: one Record each."""
        position = 1
        if pattern is None or self.split[0]:
            yield from self._one_by_one(position)
            return
        match = pattern.fullmatch
        buffer, stream, eof = self.chain.rest(), self.stream, False
        while True:
            # At least a block, and whole lines: the block ends after its last line break.
            while not eof and (len(buffer) < BLOCK_BYTES or (b"\n" not in buffer and len(buffer) <= MAX_LINE_BYTES)):
                data = stream.read(BLOCK_BYTES)
                eof = not data
                buffer += data
            if eof and not buffer:
                return
            cut = buffer.rfind(b"\n") + 1
            block = text = buffer[:cut]
            whole = True  # text stands for every line of the block
            if b"\r" in block:
                # CRLF is LF with one more byte; a lone CR makes lines that only the step-by-step reader counts.
                text = block.replace(b"\r\n", b"\n")
                if b"\r" in text:
                    text, whole = b"", False
            try:
                text.decode("utf-8")
            except UnicodeDecodeError as error:
                text, whole = text[: text.rfind(b"\n", 0, error.start) + 1], False  # the lines before the bad byte
            # Line by line, but the loop in C (one pattern over the whole block is slower).
            lines = text.split(b"\n")
            lines.pop()  # what follows the last line break: nothing
            matches = list(map(match, lines))
            count = matches.index(None) if None in matches else len(lines)
            if count:
                good = len(text) if count == len(lines) else sum(map(len, lines[:count])) + count
                yield Lines(text[:good], self.number + 1, count, position)
                self.number += count
                position += count
                if whole and good == len(text):
                    buffer = buffer[cut:]
                    continue
                skip = good
                if text is not block:  # where the lines taken end in the block as read
                    skip = 0
                    for _ in range(count):
                        skip = block.index(b"\n", skip) + 1
            else:
                skip = 0
            # The rest of the block record by record, by one csv reader; then blocks again.
            self.chain = _Chain(buffer[skip:], stream)
            self.reader = csv.reader(self._counted(_csv_lines(self.chain, self.pending, self.number, self.split)), strict=True)
            while True:
                record = self._step(position)
                if record is False:
                    return
                if record is not None:
                    yield record
                    position += 1
                if self.split[0]:  # pieces of a line wait in the reader: go on with it
                    yield from self._one_by_one(position)
                    return
                if self.chain.at >= cut - skip:
                    break
            buffer = self.chain.rest()


# --- JSON ------------------------------------------------------------------------------


def _text_blocks(stream: BinaryIO) -> Iterator[str]:
    """The stream as text in blocks cut between characters, decoded with exact lines."""
    line, offset, carry, first = 1, 0, b"", True
    while True:
        data = stream.read(CHUNK_BYTES)
        block = carry + data
        if first and (len(block) >= len(_BOM) or not data):
            block, first = block.removeprefix(_BOM), False
        cut = len(block)
        if data:
            # Keep the bytes of a character that may continue in the next read.
            while cut > 0 and len(block) - cut < 3 and 0x80 <= block[cut - 1] < 0xC0:
                cut -= 1
            if cut > 0 and block[cut - 1] >= 0xC0:
                cut -= 1
            else:
                cut = len(block)
        block, carry = block[:cut], block[cut:]
        if block:
            yield _decode(block, line, offset)
            newlines = block.count(b"\n")
            line += newlines
            offset = len(block) - block.rfind(b"\n") - 1 if newlines else offset + len(block)
        if not data:
            return


_WS = re.compile(r"[ \t\r\n]*")
# A string token: no raw control character, quote or backslash but in an escape.
_STRING = r'"[^"\\\x00-\x1f]*(?:\\.[^"\\\x00-\x1f]*)*"'
_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
# The common case in one match: `"key": scalar` and the `,` or `}` after it.
_MEMBER = re.compile(
    rf"[ \t\r\n]*({_STRING})[ \t\r\n]*:[ \t\r\n]*(?:({_STRING})|({_NUMBER})|(true|false|null))[ \t\r\n]*([,}}])"
)
# The commonest case of all in one match: a whole flat record, and the `,` or `]` after
# it. Once the pattern has vouched that it is flat, the C decoder of the standard library
# reads it (it cannot recurse: there is nothing nested to recurse into).
_FLAT_MEMBER = rf"{_STRING}[ \t\r\n]*:[ \t\r\n]*(?:{_STRING}|{_NUMBER}|true|false|null)"
_RECORD = re.compile(
    rf"[ \t\r\n]*(\{{[ \t\r\n]*{_FLAT_MEMBER}(?:[ \t\r\n]*,[ \t\r\n]*{_FLAT_MEMBER})*[ \t\r\n]*\}})[ \t\r\n]*([,\]])"
)
# Numbers are kept as their text, so that amounts are never rounded through floats.
_scan_flat = JSONDecoder(parse_float=str, parse_int=str, object_pairs_hook=list).scan_once
_AS_TEXT = {True: "true", False: "false", "": None}  # what a decoded scalar is as cell text
_ANY_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # to find where a string ends
_SCALAR = re.compile(rf"{_NUMBER}|true|false|null")
_TOKEN_END = re.compile(r'[ \t\r\n,:{}\[\]"]')
_LITERALS = {"true": "true", "false": "false", "null": None}
# A member whose text runs past this many characters is refused: the longest value,
# every character written as a surrogate pair of \u escapes, and room for the key.
_MAX_MEMBER_CHARS = 12 * MAX_FIELD_CHARS + CHUNK_BYTES
_FLAT = "records are flat objects of strings, numbers, true, false or null"


class _NeedMore(Exception):
    """The buffer ends before the token does."""


class _Syntax(Exception):
    def __init__(self, message: str, at: int, key: str | None = None):
        self.message, self.at, self.key = message, at, key


def _string(buf: str, pos: int) -> tuple[str, int]:
    """The string token at ``buf[pos] == '"'``, decoded, and the position after it."""
    match = _ANY_STRING.match(buf, pos)
    if match is None:
        raise _NeedMore
    token = match.group()
    if "\\" not in token:
        text = token[1:-1]
        for at, char in enumerate(text):  # the fast path refused it: find the control character
            if char < " ":
                raise _Syntax(f"a control character ({ord(char):#04x}) inside a string; write it as an escape", pos + 1 + at)
        return text, match.end()
    try:
        text, end = scanstring(buf, pos + 1, True)
    except JSONDecodeError as error:
        raise _Syntax(f"malformed string: {error.msg}", error.pos) from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Syntax("a \\u escape gives a lone surrogate, which is not a character", pos) from None
    return text, end


def _member(buf: str, pos: int) -> tuple[str, str | None, int, int, str, int]:
    """Parse one `"key": value` and the `,` or `}` after it, step by step.

    The reference for what the fast pattern accepts, and the source of every syntax
    message. Returns the key, the value's text, the key's and value's positions, the
    terminator and the position after it.
    """
    end = len(buf)

    def skip(at: int) -> int:
        at = _WS.match(buf, at).end()
        if at >= end:
            raise _NeedMore
        return at

    pos = skip(pos)
    if buf[pos] != '"':
        raise _Syntax("expected a key in double quotes", pos)
    key_at = pos
    key, pos = _string(buf, pos)
    pos = skip(pos)
    if buf[pos] != ":":
        raise _Syntax(f"expected : after the key {key!r}", pos, key)
    value_at = pos = skip(pos + 1)
    char = buf[pos]
    value: str | None
    if char == '"':
        try:
            value, pos = _string(buf, pos)
        except _Syntax as error:
            raise _Syntax(error.message, error.at, key) from None
        value = value or None  # an empty string is an absent value, as in CSV
    elif char in "{[":
        raise _Syntax(f"a nested {'object' if char == '{' else 'array'} is not a value; {_FLAT}", pos, key)
    else:
        token_end = _TOKEN_END.search(buf, pos)
        if token_end is None:
            raise _NeedMore
        token = buf[pos : token_end.start()]
        if not _SCALAR.fullmatch(token):
            raise _Syntax(f"expected a value (a string, number, true, false or null), got {token[:40]!r}", pos, key)
        value, pos = _LITERALS.get(token, token), token_end.start()
    pos = skip(pos)
    if buf[pos] not in ",}":
        raise _Syntax(f"expected , or }} after the value of {key!r}", pos, key)
    return key, value, key_at, value_at, buf[pos], pos + 1


class _JsonReader:
    """A sliding window over the decoded text: consumed text is dropped as it goes."""

    def __init__(self, stream: BinaryIO):
        self.blocks = _text_blocks(stream)
        self.buf, self.pos, self.eof = "", 0, False
        self.line, self.counted = 1, 0  # the line number at buf[counted]
        self.position = 1  # the position in the array of the record being read

    def line_at(self, pos: int) -> int:
        return self.line + self.buf.count("\n", self.counted, pos)

    def refuse(self, message: str, at: int, column: str | None = None) -> ImportRefused:
        line = self.line_at(at)
        if at >= len(self.buf) and self.eof and self.buf.endswith("\n"):
            line -= 1  # the end of the file: name its last line, not the empty one after it
        return ImportRefused(message, line=line, column=column, record=self.position)

    def more(self) -> bool:
        """Append the next block, dropping what was consumed; False at the end of the file."""
        block = None if self.eof else next(self.blocks, None)
        if block is None:
            self.eof = True
            return False
        self.line, self.counted = self.line_at(self.pos), 0
        self.buf, self.pos = self.buf[self.pos :] + block, 0
        return True

    def peek(self) -> str:
        """The next character that is not white space, '' at the end of the file."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf) or not self.more():
                return self.buf[self.pos : self.pos + 1]

    def records(self) -> Iterator[Record]:
        if self.peek() != "[":
            raise self.refuse("expected a JSON array of objects", self.pos)
        self.pos += 1
        if self.peek() == "]":
            self.pos += 1
        else:
            while True:
                match = _RECORD.match(self.buf, self.pos)
                record = self.plain_record(match) if match is not None else None
                if record is not None:
                    yield record
                    self.position += 1
                    if match.group(2) == "]":  # type: ignore[union-attr]
                        break
                    continue
                yield self.record()
                self.position += 1
                char = self.peek()
                self.pos += 1
                if char == "]":
                    break
                if char != ",":
                    where = "the file ends inside the array" if char == "" else f"found {char!r}"
                    raise self.refuse(f"expected , or ] after a record; {where}", self.pos - 1)
                self.peek()
        if self.peek():
            raise self.refuse("unexpected text after the array", self.pos)

    def plain_record(self, match: re.Match[str]) -> Record | None:
        """The record of a _RECORD match, or None to read it step by step (and refuse it)."""
        start, end = match.span(1)
        try:
            pairs = _scan_flat(self.buf, start)[0]
        except JSONDecodeError:
            return None  # a bad escape
        values = {key: value if value.__class__ is str and value else _AS_TEXT.get(value) for key, value in pairs}
        if len(values) != len(pairs) or end - start > MAX_FIELD_CHARS:
            return None  # a key twice, or a value that may be too long: the step parser names it
        if self.buf.find("\\u", start, end) >= 0:
            try:  # a \u escape may give half a surrogate pair, which is no character
                "".join([*values, *(value for value in values.values() if value)]).encode()
            except UnicodeEncodeError:
                return None
        self.line, self.counted = self.line_at(start), start
        self.pos = match.end()
        # Spanning lines (pretty-printed): keep its text, so a bad value's line can be found.
        source = self.buf[start:end] if self.buf.find("\n", start, end) >= 0 else None
        return Record(self.line, values, self.position, source=source)

    def record(self) -> Record:
        char = self.peek()
        if char != "{":
            where = "the file ends inside the array" if char == "" else f"found {char!r}"
            raise self.refuse(f"expected an object {{…}} for each record of the array; {where}", self.pos)
        self.line, self.counted = self.line_at(self.pos), self.pos
        record = Record(self.line, {}, self.position)
        values = record.values
        self.pos += 1
        if self.peek() == "}":
            self.pos += 1
            return record
        while True:
            match = _MEMBER.match(self.buf, self.pos)
            if match is not None:
                key, value, key_at, value_at, end, self.pos = self._from_match(match)
            else:
                key, value, key_at, value_at, end, self.pos = self.slow_member()
            if key in values:
                raise self.refuse("key given twice in one object", key_at, key)
            if value is not None and len(value) > MAX_FIELD_CHARS:
                raise self.refuse(f"a value longer than {MAX_FIELD_CHARS} characters", value_at, key)
            values[key] = value
            # Counted on from the last value, not from the object's start: linear in its size.
            self.line, self.counted = self.line_at(value_at), value_at
            if self.line != record.line:
                if record.value_lines is None:
                    record.value_lines = {}
                record.value_lines[key] = self.line
            if end == "}":
                return record

    def string(self, at: int, key: str | None = None) -> str:
        try:
            return _string(self.buf, at)[0]
        except _Syntax as error:
            raise self.refuse(error.message, error.at, key) from None

    def slow_member(self) -> tuple[str, str | None, int, int, str, int]:
        while True:
            try:
                return _member(self.buf, self.pos)
            except _Syntax as error:
                raise self.refuse(error.message, error.at, error.key) from None
            except _NeedMore:
                pending = len(self.buf) - self.pos
                if pending > _MAX_MEMBER_CHARS:
                    raise self.refuse(f"a value longer than {MAX_FIELD_CHARS} characters", self.pos) from None
                if not self.more():
                    raise self.refuse("the file ends inside an object", len(self.buf)) from None
                # Double the text before trying again, so that a long value is scanned
                # a bounded number of times, not once per block.
                while len(self.buf) - self.pos < 2 * pending and self.more():
                    pass
            # More text arrived: the fast pattern may match now.
            match = _MEMBER.match(self.buf, self.pos)
            if match is not None:
                return self._from_match(match)

    def _from_match(self, match: re.Match[str]) -> tuple[str, str | None, int, int, str, int]:
        key, text, number, literal, end = match.group(1, 2, 3, 4, 5)
        key = self.string(match.start(1)) if "\\" in key else key[1:-1]
        if text is not None:
            value = (text[1:-1] if "\\" not in text else self.string(match.start(2), key)) or None
            value_at = match.start(2)
        elif number is not None:
            value, value_at = number, match.start(3)
        else:
            value, value_at = _LITERALS[literal], match.start(4)
        return key, value, match.start(1), value_at, end, match.end()


def _newlines_before_value(source: str, column: str) -> int:
    """In the text of one flat object, already read whole, the line breaks before ``column``'s value."""
    pos = 1  # after the {
    while True:
        key, _, _, value_at, end, pos = _member(source, pos)
        if key == column:
            return source.count("\n", 0, value_at)
        if end == "}":
            return 0


def read_json(stream: BinaryIO) -> Iterator[Record]:
    """The records of a JSON array of flat objects; numbers are kept as their exact text."""
    return _JsonReader(stream).records()
