"""The staging path of a CSV import stores exactly what the record-by-record path stores.

import_stream takes the lines one pattern vouches for as raw text into a staging table and
converts them in SQL (loading/staging.py); every other line is parsed in
Python. The same files go through ``load`` record by record (every cell parsed by its
column's kind, the reference) and the rows, and the refusals, are compared.
"""

from __future__ import annotations

import io
from contextlib import nullcontext

import pytest

from deletions.models import Tombstone
from feeds.registry import registry
from feeds.stamping import preserve_timestamps
from loading import readers, staging
from loading.importing import import_stream, load
from loading.plan import Plan
from loading.readers import BLOCK_BYTES, ImportRefused
from tests.loading.csv_reading import read_csv

pytestmark = pytest.mark.django_db

HEADER = "id,player_id,amount,currency,type,status,payment_system,dir,created_at,updated_at,comment\n"
# Each line is odd in one way; some only the Python parser takes (the pattern is stricter).
ODD = [
    't-plain,p1,12.5,EUR,Normal,Success,visa,IN,2020-10-01 00:00:00,2020-10-10 07:05:00,\n',
    "t-leap,p1,007.50,EUR,,,,OUT,2020-02-29 10:00:00,2020-10-10 07:05:00.5,x\n",  # 29 Feb; a leading zero
    "t-plus,p2,+5,EUR,Prize,New,,IN,2020-10-01T10:00:00,2020-10-01+10:00:00,\n",  # + sign; T and + separators
    't-quoted,p3,"1.25","EUR","Cash back","Fail","a, ""b""",OUT,2020-10-01 00:00:00.000,2020-10-01 00:00:00.123456,"two\nlines"\n',
    "идентификатор-длиной-больше-тридцати-двух-байт,p4,-0,EUR,Other,Process,,IN,2020-01-31 23:59:59,2020-10-10 07:05:00,\\.\n",
    "t-tiny,p5,0.00000001,EUR,Normal,Success,x\ty,OUT,1999-12-31 23:59:59,2020-10-10 07:05:00, lead and trail \n",
    "t-huge,p6,100000000000000000000.00000001,USD,Normal,Success,,IN,2020-04-30 12:00:00,2020-10-10 07:05:00,\"\"\n",
    "t-space,p7,1.5,EUR,Normal,Success,,IN, 2020-10-01 00:00:00 ,2020-10-10 07:05:00,\n",  # parse_timestamp strips
    "t-plain,p9,99.99,EUR,Normal,Success,later,OUT,2020-10-02 00:00:00,2020-10-11 07:05:00,the later one wins\n",
]


def filler(first: int, count: int) -> str:
    return "".join(
        f"f{n},p{n % 7},{n % 1000}.{n % 100:02d},EUR,Normal,Success,visa,{'IN' if n % 2 else 'OUT'},"
        f"2020-10-01 00:{n // 60 % 60:02d}:{n % 60:02d},2020-10-10 07:05:00,{'c' * (250 + n % 40)}\n"
        for n in range(first, first + count)
    )


def big_file(newline: str = "\n") -> bytes:
    # Odd lines at the start, across the first 1 MiB block's end, and at the end.
    text = HEADER + "".join(ODD[:4]) + filler(0, 2500) + "".join(ODD[4:7]) + filler(2500, 2500) + "".join(ODD[7:])
    data = text.replace("\n", newline).encode()
    assert len(data) > BLOCK_BYTES  # read in more than one block
    return data


def stored(feed_name: str, without: tuple[str, ...] = ()) -> list[dict]:
    model = registry()[feed_name].model
    rows = model._default_manager.order_by("pk").values()
    return [{k: v for k, v in row.items() if k not in without} for row in rows]


def forget(model) -> None:
    """The table emptied as if its rows had never been loaded: without their tombstones,
    which would move the kept stamps of the same rows loaded again past them (a row
    inserted again after its deletion, assurance.md section 15)."""
    model._default_manager.all().delete()
    Tombstone.objects.all().delete()


def by_record(feed_name: str, data: bytes, preserve: bool) -> int:
    """The reference: every record read by the csv reader, every cell parsed in Python."""
    plan = Plan(registry()[feed_name], preserve=preserve)
    header, records = read_csv(io.BytesIO(data))
    with preserve_timestamps() if preserve else nullcontext():
        return load(plan, header, records)


def both_ways(feed_name: str, data: bytes, preserve: bool = True, without: tuple[str, ...] = ()) -> tuple[list, list]:
    model = registry()[feed_name].model
    count = import_stream(registry()[feed_name], io.BytesIO(data), "csv", preserve=preserve)
    staged = stored(feed_name, without)
    forget(model)
    assert by_record(feed_name, data, preserve) == count
    return staged, stored(feed_name, without)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_file_of_odd_lines_across_blocks_is_stored_as_the_python_parser_stores_it(newline):
    data = big_file(newline)
    staged, reference = both_ways("transactions", data)
    assert len(staged) == 5000 + len(ODD) - 1  # t-plain twice
    assert staged == reference
    plain = next(row for row in staged if row["id"] == "t-plain")
    assert plain["payment_system"] == "later" and plain["comment"] == "the later one wins"


def test_a_stream_that_gives_short_reads_and_cannot_seek_is_read_the_same():
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            piece = self.data.read(min(len(buffer), 4093))
            buffer[: len(piece)] = piece
            return len(piece)

    data = big_file()
    feed = registry()["transactions"]
    with preserve_timestamps():
        assert import_stream(feed, Trickle(data), "csv", preserve=True) == 5000 + len(ODD)
    staged = stored("transactions")
    forget(feed.model)
    by_record("transactions", data, True)
    assert staged == stored("transactions")


def test_an_upsert_over_stored_rows_stamps_as_the_python_path_does():
    # The service stamps: the file's updated_at is not kept, and no stamp goes back.
    data = big_file()
    feed = registry()["transactions"]
    by_record("transactions", data, True)
    before = {row["id"]: row["updated_at"] for row in stored("transactions")}
    import_stream(feed, io.BytesIO(data.replace(b",visa,", b",mastercard,")), "csv")
    after = stored("transactions")
    assert all(row["updated_at"] >= before[row["id"]] for row in after)
    assert {row["payment_system"] for row in after if row["id"].startswith("f")} == {"mastercard"}
    staged = [{k: v for k, v in row.items() if k != "updated_at"} for row in after]
    forget(feed.model)
    by_record("transactions", data, True)
    by_record("transactions", data.replace(b",visa,", b",mastercard,"), False)
    assert staged == stored("transactions", without=("updated_at",))


def test_chunks_of_many_blocks_that_the_table_refuses_midway_are_upserted_whole(monkeypatch):
    # Small blocks and chunks: each chunk's COPY into the table is open over several blocks
    # (on PostgreSQL), and an id stored already, or given twice, is met in a later block of
    # the chunk, after the first blocks were sent. The whole chunk goes through the upsert.
    monkeypatch.setattr(readers, "BLOCK_BYTES", 2**16)
    monkeypatch.setattr(staging, "CHUNK_BYTES", 2**18)
    data = big_file()
    staged, reference = both_ways("transactions", data)
    assert len(staged) == 5000 + len(ODD) - 1 and staged == reference
    # Half the rows stored, then the whole file with a change: chunks of new and stored ids.
    lines = data.split(b"\n")
    half, changed = b"\n".join(lines[:2500]) + b"\n", data.replace(b",visa,", b",mastercard,")
    feed = registry()["transactions"]
    forget(feed.model)
    by_record("transactions", half, True)
    import_stream(feed, io.BytesIO(changed), "csv", preserve=True)
    staged = stored("transactions")
    forget(feed.model)
    by_record("transactions", half, True)
    by_record("transactions", changed, True)
    assert staged == stored("transactions")
    assert {row["payment_system"] for row in staged if row["id"].startswith("f")} == {"mastercard"}


def test_flags_and_a_column_the_file_leaves_out_are_stored_as_the_python_parser_stores_them():
    data = (
        "id,player_id,created_at,is_success,fail_reason\n"
        "l1,p1,2020-10-01 00:00:00,1,\n"
        "l2,p1,2020-10-01 00:00:01,0,wrong password\n"
        "l3,p1,2020-10-01 00:00:02,,\n"
        "l4,p1,2020-10-01 00:00:03,true,\n"
        "l5,p1,2020-10-01 00:00:04,NO,\n"
        "l6,p1,2020-10-01 00:00:05,Yes,\n"
    ).encode()
    staged, reference = both_ways("logins", data)
    assert [row["is_success"] for row in staged] == [True, False, None, True, False, True]
    assert staged == reference


@pytest.mark.parametrize(
    "bad",
    [
        # Cells of several kinds wrong at once: every one is named, in the file's order.
        b"t-bad,,12.5.5,EUR,Normal,Won,visa,IN,2020-02-30 00:00:00,9999-12-31 00:00:00,\x00\n",
        b"t-bad,p1,1.5,EUR,Normal,Success,visa,IN,2020-10-01 00:00:00\n",  # a field short: reading ends
        b't-bad,p1,1.5,EUR,Normal,Success,"unclosed,IN,2020-10-01 00:00:00,2020-10-10 07:05:00,\n',
        b"t-bad,p1,1.5,\xffEUR,Normal,Success,visa,IN,2020-10-01 00:00:00,2020-10-10 07:05:00,\n",
    ],
)
def test_faults_past_the_first_block_are_named_as_the_python_parser_names_them(bad):
    lines = big_file().split(b"\n")
    data = b"\n".join([*lines[:3500], bad.rstrip(b"\n"), *lines[3500:4000], bad.rstrip(b"\n"), *lines[4000:]])
    with pytest.raises(ImportRefused) as staged:
        import_stream(registry()["transactions"], io.BytesIO(data), "csv", preserve=True)
    assert not registry()["transactions"].model._default_manager.exists()
    with pytest.raises(ImportRefused) as reference:
        by_record("transactions", data, True)
    assert staged.value.faults == reference.value.faults
    assert str(staged.value) == str(reference.value)
    assert staged.value.faults[0].line == 3501
