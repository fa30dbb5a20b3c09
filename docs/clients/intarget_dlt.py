"""Pull intarget-export feeds into DuckDB with dlt, losing no row (docs/clients.md).

    pip install "dlt[duckdb]==1.31.0"
    INTARGET_URL=https://export.example.com INTARGET_KEY=… INTARGET_START="2026-01-01 00:00:00" \
        python intarget_dlt.py

What keeps every row:
- the state of each feed is the end of the last window it loaded (``next_from``), never
  the largest ``updated_at`` of the rows: a game session's ``updated_at`` may lie after
  the window that served it, and a cursor on it skips the sessions in between;
- windows are half-open ``[from, to)``, consecutive, and end at a time already past;
  a 425 (window ends in the future) or 503 (rows still in flight, database busy) is
  retried after its ``Retry-After``, never stored as an answer;
- JSON with ``money=string``: every money value arrives as a string with the exact
  digits and is stored as DECIMAL(38, 8) (a float would keep 17 significant digits);
  ids are text;
- rows are merged by the feed's primary key (games: ``session_id``), so a session served
  again because of a late action replaces its older version; no dlt ``incremental``,
  whose de-duplication drops such a re-served session;
- rows deleted at the source are deleted here: each window's tombstones of the feed
  (``/api/deletions``) are merged as hard deletes (``_deleted``). Inside one load the
  newest record of a key wins (``_version``: its window's end, then its time, a tombstone
  before a row of the same time), so a row inserted again after its deletion, served
  later than its tombstone, stays.
"""

from __future__ import annotations

import datetime as dt
import os

import dlt
from dlt.sources.helpers.requests import Client

URL = os.environ["INTARGET_URL"].rstrip("/")
KEY = os.environ["INTARGET_KEY"]
# The first window's start, for a feed with no state yet (UTC).
START = os.environ.get("INTARGET_START", "2020-01-01 00:00:00")
# Window length; the last window of a run ends at the last whole second (a window ending
# now is final once no writer holds it: the service waits, or answers 503).
STEP = dt.timedelta(seconds=int(os.environ.get("INTARGET_STEP", "3600")))
FEEDS = os.environ.get("INTARGET_FEEDS", "games,transactions,users").split(",")
STAMP = "%Y-%m-%d %H:%M:%S"

TEXT = {"data_type": "text"}
MONEY = {"data_type": "decimal", "precision": 38, "scale": 8}
COUNT = {"data_type": "bigint"}
TIME = {"data_type": "timestamp", "timezone": False}  # every time is UTC
FLAG = {"data_type": "bool"}
DATE = {"data_type": "date"}
# The window a record came from, and the order of a key's records inside one load (the
# newest wins): "<window end> <row time or deleted_at> <0 row, 1 tombstone>".
RECIPE_COLUMNS = {
    "_window_end": {"data_type": "timestamp", "timezone": False},
    "_version": {"data_type": "text", "dedup_sort": "desc"},
    # A tombstone: the row of that key is deleted, and nothing is inserted.
    "_deleted": {"data_type": "bool", "hard_delete": True},
}

# Primary key and column types of each feed (docs/feeds.md). Columns not named
# here (users' custom fields) are typed by dlt from the JSON: money strings stay text.
SCHEMAS = {
    "games": ("session_id", {
        "player_id": TEXT, "session_id": TEXT, "game_code": TEXT, "game_name": TEXT, "currency": TEXT,
        "bet_count": COUNT, "win_count": COUNT, "bet_amount": MONEY, "win_amount": MONEY,
        "created_at": TIME, "updated_at": TIME, "game_vendor": TEXT, "balance_type": TEXT, "ip": TEXT,
        "user_agent": TEXT, "ref_code": TEXT,
    }),
    "transactions": ("id", {
        "id": TEXT, "player_id": TEXT, "amount": MONEY, "currency": TEXT, "type": TEXT, "status": TEXT,
        "payment_system": TEXT, "dir": TEXT, "created_at": TIME, "updated_at": TIME, "invoice_id": TEXT,
        "wallet_id": TEXT, "user_agent": TEXT, "ip": TEXT, "requisite": TEXT, "comment": TEXT,
    }),
    "users": ("id", {
        "id": TEXT, "first_name": TEXT, "last_name": TEXT, "gender": TEXT, "country": TEXT, "city": TEXT,
        "ip": TEXT, "birthday": DATE, "registered_at": TIME, "ref_code": TEXT, "traffic_source": TEXT,
        "user_agent": TEXT, "modified_at": TIME, "is_blocked": FLAG, "self_excluded": FLAG, "locale": TEXT,
    }),
}

# Each feed's window timestamp, which orders a row against its tombstones.
STAMPS = {"games": "updated_at", "transactions": "updated_at", "users": "modified_at"}

# Retried with Retry-After honoured: 425 (the window has not ended), 429 (the key's rate),
# 503 (rows in flight, database busy) and the other 5xx.
http = Client(
    status_codes=(425, 429, *range(500, 600)),
    respect_retry_after_header=True,
    request_max_attempts=20,
    request_max_retry_delay=120,
    request_timeout=300,
).session


def windows(start: dt.datetime, until: dt.datetime, step: dt.timedelta = STEP):
    """Consecutive half-open windows from ``start``, the last one ending at ``until``."""
    while start < until:
        end = min(start + step, until)
        yield start, end
        start = end


def get(feed: str, start: dt.datetime, end: dt.datetime) -> list[dict]:
    response = http.get(
        f"{URL}/api/{feed}",
        params={"from": start.strftime(STAMP), "to": end.strftime(STAMP), "format": "json", "money": "string"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    return response.json()


def feed(name: str):
    primary_key, types = SCHEMAS[name]
    # Copies: dlt writes into the hints it is given, and TEXT, MONEY… are shared.
    columns = {column: dict(hint) for column, hint in {**types, **RECIPE_COLUMNS}.items()}

    @dlt.resource(name=name.replace("-", "_"), primary_key=primary_key, write_disposition="merge", columns=columns)
    def rows():
        state = dlt.current.resource_state()
        start = dt.datetime.strptime(state.get("next_from", START), STAMP)
        until = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        for window_start, window_end in windows(start, until):
            end = window_end.strftime(STAMP)
            page = get(name, window_start, window_end)
            for row in page:
                row.update(_window_end=window_end, _version=f"{end} {row[STAMPS[name]]} 0", _deleted=False)
            # The window's tombstones of this feed: the rows they name are deleted.
            page += [
                {primary_key: gone["id"], "_window_end": window_end, "_version": f"{end} {gone['deleted_at']} 1",
                 "_deleted": True}
                for gone in get("deletions", window_start, window_end) if gone["feed"] == name
            ]
            yield page
            # Saved with the load: a run that fails asks the same windows again.
            state["next_from"] = window_end.strftime(STAMP)

    return rows


def main() -> None:
    # The file must not be named like the dataset: DuckDB would find two "intarget" catalogs.
    pipeline = dlt.pipeline(
        pipeline_name=os.environ.get("INTARGET_PIPELINE", "intarget"),
        destination=dlt.destinations.duckdb(os.environ.get("INTARGET_DUCKDB", "intarget_feeds.duckdb")),
        dataset_name="intarget",
    )
    info = pipeline.run([feed(name) for name in FEEDS])
    print(info)
    for name in FEEDS:
        state = pipeline.state["sources"][pipeline.default_schema_name]["resources"][name.replace("-", "_")]
        print(f"{name}: next_from={state['next_from']}")


if __name__ == "__main__":
    main()
