"""Print the tables of a dlt DuckDB dataset as JSON, every value as the API writes it.

    python dump_duckdb.py DATABASE DATASET TABLE…

Run with the client virtualenv's Python (duckdb is not a package of the service).
Decimals keep their exact digits (as text), times are ``YYYY-MM-DD HH:MM:SS``; dlt's own
columns (``_dlt_…``) and the recipe's (``_window_end``, ``_version``, ``_deleted``) are left out.
"""

import datetime as dt
import decimal
import json
import sys

import duckdb


def value(cell):
    if isinstance(cell, decimal.Decimal):
        return str(cell)
    if isinstance(cell, dt.datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return cell


def main(database: str, dataset: str, *tables: str) -> None:
    connection = duckdb.connect(database, read_only=True)
    dump = {}
    for table in tables:
        result = connection.execute(f'SELECT * FROM "{dataset}"."{table}"')
        names = [column[0] for column in result.description]
        types = {name: str(kind) for name, kind in zip(names, (column[1] for column in result.description))}
        keep = [n for n, name in enumerate(names) if not name.startswith("_")]
        dump[table] = {
            "types": {names[n]: types[names[n]] for n in keep},
            "rows": [{names[n]: value(row[n]) for n in keep} for row in result.fetchall()],
        }
    json.dump(dump, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:])
