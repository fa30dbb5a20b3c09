"""The commands' CSV and JSON tables: CSV with an exact header, flags true/false and
absent values empty; JSON an array of objects with the same keys, null when absent."""

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
        out.write("[")
        for n, row in enumerate(rows):
            out.write(("," if n else "") + "\n" + json.dumps(dict(zip(header, row))))
        out.write("\n]\n")
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
