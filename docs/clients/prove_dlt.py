"""Prove that the DuckDB tables the dlt recipe loaded hold what the service serves.

    INTARGET_URL=https://export.example.com INTARGET_KEY=… \
        python prove_dlt.py "2026-12-05 00:00:00" "2026-12-06 00:00:00" [1h]

For each feed of the recipe (``INTARGET_FEEDS``, the file ``INTARGET_DUCKDB``, as
intarget_dlt.py reads them), the service's digest of ``[FROM, TO)`` in parts of STEP
(``GET /api/<feed>/digest?step=…``, default 1h) against the same digest of the rows the
destination holds, computed by DuckDB: a row's text is its id and window timestamp
(games: ``session_id``, ``updated_at``, ``bet_count``, ``win_count``) joined by a tab;
the first 8 bytes of its SHA-256 are summed modulo 2^64 (docs/clients.md, "Proving what
you hold"). Prints every part that differs, a window to pull again; exit status 1 when
one does, 0 when every part of every feed is equal.

Ask only windows the recipe has loaded (up to each feed's ``next_from``): a later part
holds rows the destination has not been sent yet.
"""

from __future__ import annotations

import os
import sys

import duckdb
from intarget_dlt import FEEDS, KEY, SCHEMAS, STAMPS, URL, http

SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
NO_ROWS = (0, "0" * 16)


def digest_fields(feed: str) -> tuple[str, ...]:
    primary_key = SCHEMAS[feed][0]
    counts = ("bet_count", "win_count") if feed == "games" else ()
    return (primary_key, STAMPS[feed], *counts)


def held_parts_sql(feed: str) -> str:
    """(part number, rows, checksum) of the rows held in [$start, $end), one per part of
    $step seconds that holds any. Times as the API writes them; counts as plain integers."""
    stamp = STAMPS[feed]
    text = " || chr(9) || ".join(
        f"strftime({name}, '%Y-%m-%d %H:%M:%S')" if name == stamp else f"CAST({name} AS VARCHAR)"
        for name in digest_fields(feed)
    )
    # A sum of UBIGINT is a HUGEINT: no overflow before the modulo.
    return f"""
        SELECT date_diff('second', $start::TIMESTAMP, {stamp}) // $step AS part, count(*),
               lower(lpad(hex((sum(('0x' || substr(sha256({text}), 1, 16))::UBIGINT)
                               % 18446744073709551616)::UBIGINT), 16, '0'))
        FROM intarget.{feed.replace("-", "_")}
        WHERE {stamp} >= $start::TIMESTAMP AND {stamp} < $end::TIMESTAMP
        GROUP BY part
    """


def differing_parts(db: duckdb.DuckDBPyConnection, feed: str, start: str, end: str, step: str) -> tuple[int, list]:
    """How many parts there are, and those whose digest differs: (part, held rows, held checksum)."""
    response = http.get(f"{URL}/api/{feed}/digest", params={"from": start, "to": end, "step": step},
                        headers={"Authorization": f"Bearer {KEY}"})
    parts = response.json()["parts"]
    seconds = int(step[:-1]) * SECONDS[step[-1]]
    held = {part: (rows, checksum) for part, rows, checksum in
            db.execute(held_parts_sql(feed), {"start": start, "end": end, "step": seconds}).fetchall()}
    return len(parts), [
        (part, *held.get(n, NO_ROWS)) for n, part in enumerate(parts)
        if held.get(n, NO_ROWS) != (part["rows"], part["checksum"])
    ]


def main(start: str, end: str, step: str = "1h") -> int:
    db = duckdb.connect(os.environ.get("INTARGET_DUCKDB", "intarget_feeds.duckdb"), read_only=True)
    differ = 0
    for feed in FEEDS:
        count, parts = differing_parts(db, feed, start, end, step)
        for part, rows, checksum in parts:
            print(f"{feed}: from={part['from']}&to={part['to']} differs: the service has {part['rows']} rows "
                  f"({part['checksum']}), DuckDB {rows} ({checksum}): pull it again")
        print(f"{feed}: {count - len(parts)} of {count} parts equal")
        differ += len(parts)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
