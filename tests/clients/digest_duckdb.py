"""Print the digest of a dlt DuckDB table per part, computed by DuckDB as docs/clients.md shows.

    python digest_duckdb.py DATABASE DATASET TABLE FIELD… < parts.json

Run with the client virtualenv's Python (duckdb is not a package of the service). The
parts are a JSON list of ``[from, to]``; the second FIELD is the window timestamp that
places a row. Each part's row text is the FIELDs joined by one tab, a timestamp written
``YYYY-MM-DD HH:MM:SS`` and a count as a plain integer, hashed and summed in DuckDB's SQL
as the recipe does (sha256, the first 16 hex digits as UBIGINT, a HUGEINT sum modulo
2^64). Prints ``{"parts": [{"rows", "checksum"}, …], "rows": N}``: a digest per part,
and the number of rows the table holds, so that a row outside every part is seen.
"""

import json
import sys

import duckdb


def text(name: str, kind: str) -> str:
    """A column as the CSV served it."""
    if kind.startswith("TIMESTAMP"):
        return f"strftime(\"{name}\", '%Y-%m-%d %H:%M:%S')"
    return f'CAST("{name}" AS VARCHAR)'


def main(database: str, dataset: str, table: str, *fields: str) -> None:
    parts = json.load(sys.stdin)
    connection = duckdb.connect(database, read_only=True)
    kinds = dict(connection.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [dataset, table],
    ).fetchall())
    row_text = " || chr(9) || ".join(text(name, kinds[name]) for name in fields)
    query = f"""
        SELECT count(*),
               lower(lpad(hex((coalesce(sum(('0x' || substr(sha256({row_text}), 1, 16))::UBIGINT), 0)
                              % 18446744073709551616)::UBIGINT), 16, '0'))
        FROM "{dataset}"."{table}"
        WHERE "{fields[1]}" >= CAST(? AS TIMESTAMP) AND "{fields[1]}" < CAST(? AS TIMESTAMP)
    """
    digests = []
    for start, end in parts:
        rows, checksum = connection.execute(query, [start, end]).fetchone()
        digests.append({"rows": rows, "checksum": checksum})
    (held,) = connection.execute(f'SELECT count(*) FROM "{dataset}"."{table}"').fetchone()
    json.dump({"parts": digests, "rows": held}, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:])
