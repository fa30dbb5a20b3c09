"""Every record of a CSV read one at a time, as the import reads a record no pattern vouches for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from loading.readers import CsvBlocks, Lines, Record


def read_csv(stream: BinaryIO) -> tuple[list[str], Iterator[Lines | Record]]:
    """The header line, then the records; the header is read before any record."""
    blocks = CsvBlocks(stream)
    return blocks.header, blocks.records(None)
