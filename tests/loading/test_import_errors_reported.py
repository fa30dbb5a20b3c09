"""``import_feed`` reports every bad cell of a refused file, up to MAX_FAULTS, each with its
line and column (for JSON the line of the bad value itself), and still writes nothing."""

import io
import re
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from loading.readers import CHUNK_BYTES, MAX_FAULTS
from payments.models import Transaction
from tests.support.factories import TransactionFactory
from tests.support.servers import manage, migrate, run_manage, service_env

pytestmark = pytest.mark.django_db

HEADER = "id,player_id,amount,currency,dir,created_at"
GOOD = "p1,1,USD,IN,2020-10-10 07:00:00"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def refused(path: Path) -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("import_feed", "transactions", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    return str(excinfo.value)


def faults(message: str) -> list[tuple[int, str | None]]:
    """(line, column) of every fault listed, in order."""
    return [(int(line), column or None) for line, column in re.findall(r"line (\d+)(?:, column '([^']+)')?:", message)]


def test_every_bad_cell_of_a_csv_is_listed_with_its_line_and_column(tmp_path):
    path = write(
        tmp_path,
        "t.csv",
        f"""
        {HEADER}
        t1,{GOOD}
        t2,p1,ten,USD,IN,2020-10-10 07:00:00
        t3,{GOOD}
        t4,p1,1,USD,SIDEWAYS,yesterday
        t5,,1,USD,IN,2020-10-10 07:00:00
        """,
    )
    message = refused(path)
    assert faults(message) == [(3, "amount"), (5, "dir"), (5, "created_at"), (6, "player_id")]
    assert "4 faults" in message and "'ten'" in message and "SIDEWAYS" in message
    assert not Transaction.objects.exists()


def test_faults_far_apart_are_all_found_and_nothing_is_written_though_batches_were(tmp_path):
    # Line 2 is bad, then a full batch of good rows, then line 6003: the good rows of the
    # first batches are never written, or are rolled back.
    rows = [f"t{n},{GOOD}" for n in range(6000)]
    rows.insert(0, "bad,p1,1,USD,UP,2020-10-10 07:00:00")
    rows.append("bad2,p1,1,USD,DOWN,2020-10-10 07:00:00")
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    assert faults(refused(path)) == [(2, "dir"), (6003, "dir")]
    assert not Transaction.objects.exists()


def test_a_refused_file_leaves_existing_rows_untouched(tmp_path):
    TransactionFactory(id="t1", dir="IN")
    path = write(tmp_path, "t.csv", f"{HEADER}\nt1,p1,1,USD,OUT,2020-10-10 07:00:00\nt2,p1,x,USD,IN,2020-10-10 07:00:00\n")
    assert faults(refused(path)) == [(3, "amount")]
    assert list(Transaction.objects.values_list("id", "dir")) == [("t1", "IN")]


def test_the_list_stops_at_the_limit_and_says_so(tmp_path):
    rows = [f"t{n},p1,bad{n},USD,IN,2020-10-10 07:00:00" for n in range(MAX_FAULTS + 5)]
    # Past the limit the file is not read on: this malformed line is never reached.
    rows.append('"unterminated')
    path = tmp_path / "t.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    message = refused(path)
    assert MAX_FAULTS == 20
    assert faults(message) == [(line, "amount") for line in range(2, 2 + MAX_FAULTS)]
    assert f"the first {MAX_FAULTS} faults" in message
    assert "malformed" not in message
    assert not Transaction.objects.exists()


def test_a_fault_of_the_syntax_ends_the_list_after_the_bad_cells_before_it(tmp_path):
    path = write(
        tmp_path,
        "t.csv",
        f"""
        {HEADER}
        t1,p1,one,USD,IN,2020-10-10 07:00:00
        t2,{GOOD},extra
        t3,p1,three,USD,IN,2020-10-10 07:00:00
        """,
    )
    message = refused(path)
    # The wrong number of fields is the reader's: the records after it are not judged.
    assert faults(message) == [(2, "amount"), (3, None)]
    assert "expected 6 fields" in message


def test_every_unknown_and_missing_column_of_the_header_is_listed(tmp_path):
    path = write(tmp_path, "t.csv", "id,player_id,colour,amount,size\nt1,p1,red,1,XL\n")
    message = refused(path)
    assert faults(message) == [(1, "colour"), (1, "size"), (1, "currency"), (1, "dir"), (1, "created_at")]


# --- JSON: the line of the bad value, not of the object's start ------------------------------


def test_json_faults_name_the_line_of_each_bad_value(tmp_path):
    path = write(
        tmp_path,
        "t.json",
        """
        [
          {
            "id": "t1",
            "player_id": "p1",
            "amount": "lots",
            "currency": "USD",
            "dir": "IN",
            "created_at": "2020-10-10 07:00:00"
          },
          {"id": "t2", "player_id": "p1", "amount": 1, "currency": "USD", "dir": "IN", "created_at": "2020-10-10 07:00:00"},
          {
            "id": "t3", "player_id": "p1", "amount": 2,
            "currency": "USD",
            "dir": "SIDEWAYS",
            "created_at":
              "tomorrow"
          }
        ]
        """,
    )
    message = refused(path)
    assert faults(message) == [(5, "amount"), (14, "dir"), (16, "created_at")]
    assert not Transaction.objects.exists()


def test_json_unknown_keys_are_named_on_their_line_and_missing_keys_on_the_objects(tmp_path):
    path = write(
        tmp_path,
        "t.json",
        """
        [
          {"id": "t1", "player_id": "p1", "amount": 1, "currency": "USD",
           "colour": "red", "dir": "IN", "created_at": "2020-10-10 07:00:00"},
          {"id": "t2", "player_id": "p1", "amount": 1, "currency": "USD",
           "created_at": "2020-10-10 07:00:00"}
        ]
        """,
    )
    assert faults(refused(path)) == [(3, "colour"), (4, "dir")]


def test_a_json_object_read_across_a_block_boundary_still_names_its_values_lines(tmp_path):
    # The fast path matches a whole object inside the text read so far; one cut by the
    # end of a 64 KiB block is read member by member. Both must name the same lines.
    bad = '  {\n    "id": "t2",\n    "player_id": "p1",\n    "amount": "lots",\n    "currency": "USD",\n' \
          '    "dir": "IN",\n    "created_at": "2020-10-10 07:00:00"\n  }\n'
    head = '[\n  {"id": "t1", "player_id": "p1", "amount": 1, "currency": "USD", "dir": "IN", ' \
           '"created_at": "2020-10-10 07:00:00", "comment": "'
    tail = '"},\n'
    # Pad the first record's comment so that the bad object straddles CHUNK_BYTES.
    padding = CHUNK_BYTES - len(head) - len(tail) - len(bad) // 2
    path = tmp_path / "t.json"
    path.write_text(head + "x" * padding + tail + bad + "]\n")
    start = len(head) + padding + len(tail)
    assert start < CHUNK_BYTES < start + len(bad)
    assert faults(refused(path)) == [(6, "amount")]


def test_a_refused_import_exits_non_zero_with_every_fault_and_no_traceback(tmp_path):
    env = service_env(tmp_path)
    migrate(env)
    path = write(tmp_path, "t.csv", f"{HEADER}\nt1,p1,x,USD,IN,2020-10-10 07:00:00\nt2,p1,1,USD,UP,2020-10-10 07:00:00\n")
    done = run_manage(env, "import_feed", "transactions", str(path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert faults(done.stderr) == [(2, "amount"), (3, "dir")]
    assert "refused, nothing written" in done.stderr
    count = manage(env, "shell", "-v0", "-c", "from payments.models import Transaction; print(Transaction.objects.count())")
    assert count.strip() == "0"
