"""The digest recipes of docs/clients.md, run as written against the service's answer.

The Python function and the PostgreSQL query (on a table loaded from the feed's CSV, as
the `COPY FROM` recipe loads it) compute the digest of what a consumer holds; it must be
the service's (assurance.md section 14). The DuckDB query runs in the dlt recipe's
virtualenv (tests/clients/venvs.py: DuckDB is not one of the service's packages), in
the slow pass. The narrowing function runs against a real gunicorn.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess

import pytest
import requests
from django.db import connection

from tests.clients.venvs import client_venv
from tests.support.api import get
from tests.support.digests import HISTORY
from tests.support.factories import GameActionFactory, TransactionFactory, at
from tests.support.servers import ROOT, Gunicorn, new_key, shared_database_env

DOC = (ROOT / "docs" / "clients.md").read_text()
SECTION = DOC[DOC.index("## Proving what you hold: digests"):]
WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}  # the recipes' own window
DUCKDB_REQUIREMENTS = ROOT / "tests" / "clients" / "requirements-dlt.txt"


def block(heading: str, language: str) -> str:
    """The first ``language`` code block under ``### heading`` of the digest section."""
    part = SECTION[SECTION.index(f"### {heading}"):]
    return re.search(rf"```{language}\n(.*?)```", part, re.S).group(1)


def recipe(heading: str = "Python") -> dict:
    namespace: dict = {}
    exec(block(heading, "python"), namespace)
    return namespace


def some_rows() -> None:
    """Transactions in and around the window, ids as odd as the contract allows."""
    for n, (id, stamp) in enumerate([("ü,\"x\"", "07:00:00"), ("062829", "07:10:00.5"), ("tab\tid", "07:59:59.999"),
                                     ("late", "08:00:00"), ("early", "06:59:59"), ("Zoë", "07:30:00")]):
        TransactionFactory(id=id, updated_at=at(f"2020-10-10 {stamp}"), comment="line\nbreak" if n % 2 else None)


def service_digest(client, feed="transactions", **params) -> dict:
    answer = client.get(f"/api/{feed}/digest", {**WINDOW, **params}).json()
    return {"rows": answer["rows"], "checksum": answer["checksum"]}


def csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode(), newline="")))


@pytest.mark.django_db
def test_the_python_recipe_gives_the_services_digest(client_with_key):
    some_rows()
    GameActionFactory(session_id="s1", created_at=at("2020-10-10 07:05:00"))
    GameActionFactory(session_id="s1", created_at=at("2020-10-10 07:06:00"), action="win")
    digest = recipe()["digest"]
    fields = {"transactions": ("id", "updated_at"), "games": ("session_id", "updated_at", "bet_count", "win_count")}
    for feed, names in fields.items():
        rows = [r for r in csv_rows(get(client_with_key, feed, **HISTORY)) if WINDOW["from"] <= r[names[1]] < WINDOW["to"]]
        assert rows
        assert digest(tuple(row[name] for name in names) for row in rows) == service_digest(client_with_key, feed)
    assert digest([]) == {"rows": 0, "checksum": "0000000000000000"}


@pytest.mark.postgresql
@pytest.mark.django_db
def test_the_postgresql_recipe_on_the_loaded_csv_gives_the_services_digest(client_with_key):
    some_rows()
    body = get(client_with_key, "transactions", **HISTORY)
    header = body.split(b"\n", 1)[0].decode().split(",")
    columns = ", ".join(f"{name} {'timestamp' if name in ('created_at', 'updated_at') else 'text'}" for name in header)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE transactions ({columns}, PRIMARY KEY (id))")
        with cursor.cursor.copy("COPY transactions FROM STDIN WITH (FORMAT csv, HEADER MATCH)") as copy:
            copy.write(body)
        cursor.execute(block("PostgreSQL", "sql"))
        rows, checksum = cursor.fetchone()
    assert {"rows": rows, "checksum": checksum} == service_digest(client_with_key) != {"rows": 0, "checksum": "0" * 16}


DUCKDB_RUN = """
import json, sys, duckdb
db = duckdb.connect()
db.execute("CREATE TABLE transactions AS SELECT * FROM read_csv(?, header = true, all_varchar = true, "
           "types = {'created_at': 'TIMESTAMP', 'updated_at': 'TIMESTAMP'})", [sys.argv[1]])
rows, checksum = db.execute(sys.stdin.read()).fetchone()
print(json.dumps({"rows": rows, "checksum": checksum}))
"""


@pytest.mark.slow
@pytest.mark.django_db
def test_the_duckdb_recipe_on_the_read_csv_gives_the_services_digest(client_with_key, tmp_path):
    some_rows()
    path = tmp_path / "transactions.csv"
    path.write_bytes(get(client_with_key, "transactions", **HISTORY))
    python = client_venv(DUCKDB_REQUIREMENTS)
    done = subprocess.run([str(python), "-c", DUCKDB_RUN, str(path)], input=block("DuckDB", "sql"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == service_digest(client_with_key)


@pytest.mark.postgresql  # the server reads the test's own database: rows made here are its rows
@pytest.mark.django_db(transaction=True)
def test_narrowing_with_step_finds_the_part_that_differs(tmp_path):
    some_rows()
    env = shared_database_env(tmp_path)
    key = new_key(env, "consumer")
    namespace = {**recipe(), "requests": requests, "KEY": key}
    exec(block("Narrowing a mismatch with `step`", "python"), namespace)
    with Gunicorn(env) as server:
        namespace["URL"] = server.url
        response = requests.get(f"{server.url}/api/transactions", params=HISTORY,
                                headers={"Authorization": f"Bearer {key}"}, timeout=60)
        held = [(row["id"], row["updated_at"]) for row in csv_rows(response.content)]
        held.remove(("062829", "2020-10-10 07:10:00"))  # a row the consumer missed

        def rows_in(start: str, end: str) -> list[tuple[str, str]]:
            return [row for row in held if start <= row[1] < end]

        differing = namespace["differing_parts"]("transactions", WINDOW["from"], WINDOW["to"], "10m", rows_in)
        assert [(part["from"], part["to"]) for part in differing] == [("2020-10-10 07:10:00", "2020-10-10 07:20:00")]
        narrower = namespace["differing_parts"]("transactions", differing[0]["from"], differing[0]["to"], "1m", rows_in)
        assert [(part["from"], part["rows"]) for part in narrower] == [("2020-10-10 07:10:00", 1)]
