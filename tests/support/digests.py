"""A digest computed as a consumer would (assurance.md section 14), from served CSV.

Written from the spec, not from serving/digest.py: a row's text is its digest fields as
served in CSV, tab-joined; each row counts the first 8 bytes of the SHA-256 of that text
as an unsigned big-endian integer; the checksum is their sum modulo 2^64, 16 lowercase
hex digits.
"""

import csv
import hashlib
import io

# The fields of a row's text, per feed, as assurance.md section 14 lists them; the
# second is the window timestamp, which places the row.
FIELDS = {
    "users": ("id", "modified_at"),
    "contacts": ("player_id", "modified_at"),
    "logins": ("id", "created_at"),
    "transactions": ("id", "updated_at"),
    "wallets": ("id", "modified_at"),
    "games": ("session_id", "updated_at", "bet_count", "win_count"),
    "tournaments": ("id", "modified_at"),
    "sport-events": ("id", "modified_at"),
    "bets": ("id", "modified_at"),
    "bet-selections": ("id", "updated_at"),
}
# Every row of every test lies after this and before the end of HISTORY.
HISTORY = {"from": "2000-01-01 00:00:00", "to": "2021-01-01 00:00:00"}


def checksum(texts) -> tuple[int, str]:
    """(rows, checksum) of row texts."""
    total, rows = 0, 0
    for text in texts:
        total += int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
        rows += 1
    return rows, f"{total % 2**64:016x}"


def held(body: bytes, feed: str) -> dict[str, dict[str, str]]:
    """The rows a consumer keeps from a CSV body: the latest version of each, by id."""
    rows: dict[str, dict[str, str]] = {}
    for row in csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")):
        rows[row[FIELDS[feed][0]]] = row
    return rows


def expected(rows: dict[str, dict[str, str]], feed: str, start: str, end: str) -> tuple[int, str]:
    """(rows, checksum) of the held rows whose window timestamp lies in [start, end)."""
    fields = FIELDS[feed]
    inside = [row for row in rows.values() if start <= row[fields[1]] < end]
    return checksum("\t".join(row[field] for field in fields) for row in inside)
