"""The commands' CSV and JSON tables: CSV with an exact header, flags true/false and
absent values empty; JSON an array of objects with the same keys, null when absent.

Both are written as rows come (the pull log may be millions of rows), one whole line
per write: JSON is ``[``, one object per line, each but the last ending in a comma, and
``]``. Whole lines, because a command's stdout (Django's OutputWrapper) ends every
write that does not end a line with one: commas would otherwise land on lines of their
own."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_table(out: TextIO, header: Sequence[str], rows: Iterable[Sequence[Any]], format: str) -> None:
    if format == "json":
        out.write("[\n")
        previous = None
        for row in rows:
            if previous is not None:
                out.write(previous + ",\n")  # not the last: the next one is known
            previous = json.dumps(dict(zip(header, row)))
        if previous is not None:
            out.write(previous + "\n")
        out.write("]\n")
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
