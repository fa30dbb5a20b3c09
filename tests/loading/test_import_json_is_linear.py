"""JSON import in linear time and bounded memory (issue 7: 40,000 records took 203.6 s).

The reader used to hold the whole file as text and count newlines from its start for
every record, so time grew with the square of the file. The bounds below are generous
(a loaded CI machine passes them) but a quadratic reader misses them by far.
"""

import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command

from loading.readers import read_json
from payments.models import Transaction

ROW = (
    '{{"id": "t{n}", "player_id": "p{n}", "amount": {n}.25, "currency": "EUR", "dir": "IN", '
    '"created_at": "2020-10-10 07:00:00", "comment": "deposit number {n}, \\"quoted\\""}}'
)
CSV_ROW = 't{n},p{n},{n}.25,EUR,IN,2020-10-10 07:00:00,"deposit number {n}, ""quoted"""\n'


def write_json(path, count, separator=",\n"):
    path.write_text("[\n" + separator.join(ROW.format(n=n) for n in range(count)) + "\n]\n")
    return path


def read_seconds(path) -> float:
    """CPU seconds to read every record: unlike wall time, hardly moved by other jobs on the machine."""
    started = time.process_time()
    with path.open("rb") as file:
        assert sum(1 for _ in read_json(file)) > 0
    return time.process_time() - started


def test_reading_four_times_the_records_takes_about_four_times_as_long(tmp_path):
    small = write_json(tmp_path / "small.json", 5_000)
    large = write_json(tmp_path / "large.json", 20_000)
    read_seconds(small)  # warm up
    ratio = min(read_seconds(large) for _ in range(3)) / min(read_seconds(small) for _ in range(3))
    # Linear: about 4. Quadratic: about 16.
    assert ratio < 8, f"20k records took {ratio:.1f} times as long as 5k"


@pytest.mark.slow
@pytest.mark.django_db
def test_json_import_is_at_least_a_third_of_the_csv_speed_for_the_same_rows(tmp_path):
    count = 5_000
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("id,player_id,amount,currency,dir,created_at,comment\n" + "".join(CSV_ROW.format(n=n) for n in range(count)))
    json_path = write_json(tmp_path / "t.json", count)
    seconds = {"csv": float("inf"), "json": float("inf")}
    for _ in range(2):  # the better of two: a busy machine slows one run, rarely both
        for name, path in [("csv", csv_path), ("json", json_path)]:
            Transaction.objects.all().delete()
            started = time.perf_counter()
            call_command("import_feed", "transactions", str(path), stdout=open("/dev/null", "w"))
            seconds[name] = min(seconds[name], time.perf_counter() - started)
            assert Transaction.objects.count() == count
    # The target is half the CSV speed (measured: about the same speed); a third leaves room for noise.
    assert seconds["json"] < 3 * seconds["csv"], seconds


PEAK_RSS = """
import resource, sys
import django
django.setup()
from pathlib import Path
from loading.readers import read_json
with Path(sys.argv[1]).open("rb") as file:
    count = sum(1 for _ in read_json(file))
print(count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss_kib(path) -> int:
    """The peak RSS of a fresh process that reads every record of ``path``."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(path)], capture_output=True, text=True, check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "intarget_export.settings"},
    )
    return int(done.stdout.split()[1])


@pytest.mark.slow
@pytest.mark.parametrize("separator", [",\n", ","], ids=["one-record-a-line", "minified-one-line"])
def test_reading_a_large_json_file_holds_a_bounded_amount_of_memory(tmp_path, separator):
    small = write_json(tmp_path / "small.json", 10, separator)
    large = write_json(tmp_path / "large.json", 60_000, separator)
    size = large.stat().st_size
    assert size > 10 * 2**20
    grown = peak_rss_kib(large) - peak_rss_kib(small)
    # A window of a few 64 KiB blocks and one record; reading the whole file would add its size.
    assert grown * 1024 < size / 4, f"peak RSS grew {grown / 1024:.1f} MiB for a {size / 2**20:.1f} MiB file"
