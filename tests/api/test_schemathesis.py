"""schemathesis against the running service's own document (operations.md section 9).

A real gunicorn serves a database with rows in every feed (the document's example window,
2020-10-10 07:00 to 08:00, and the demo's last hours, with two custom fields); schemathesis
reads ``/api/schema`` from it and sends generated requests to every feed, with a valid
key and with none. Every check but one runs: no 5xx, and every answer's status, content
type, headers and body as the document says; schema-violating requests refused, auth not
ignored, undocumented methods refused. Left out: ``positive_data_acceptance``, which
expects every schema-valid request to succeed, while the window contract answers some of
them 400 (``from`` later than ``to``, 31 February) and 425 (a window ending in the
future), both documented.

The requests are counted in gunicorn's access log, not taken from schemathesis's word.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import factories as f
from tests.support.servers import Gunicorn, manage, new_key, shared_database_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
SEED = "20201010"
CHECKS = ["--checks", "all", "--exclude-checks", "positive_data_acceptance"]
# schemathesis's default warnings but validation_mismatch (the push run, below).
PUSH_WARNINGS = [
    "missing_auth", "missing_test_data", "base_url_mismatch", "missing_deserializer", "unused_openapi_auth",
    "unsupported_regex", "method_not_allowed", "unresolvable_reference", "rate_limited",
]
FEED_REQUEST = re.compile(r'"[A-Z]+ /api/(?!schema|docs)[^ ]* HTTP/1\.[01]" (\d{3}) ')


def rows_in_the_example_window() -> None:
    """A few rows of every feed in the document's example window, odd values included."""
    player = f.PlayerFactory(first_name='Zoë "the, quick"', city="Line\nbreak")
    f.ContactFactory(player=player)
    f.LoginFactory(player_id=player.id)
    f.TransactionFactory(player_id=player.id, amount="0.00000001")
    f.WalletFactory(player_id=player.id)
    f.GameActionFactory(player_id=player.id)
    f.BetSelectionFactory()


def run(server: Gunicorn, workdir: Path, *options: str) -> subprocess.CompletedProcess:
    # One worker: with two, hypothesis's threads once broke on CPython 3.11's ast module
    # ("AST constructor recursion depth mismatch"), a runtime error, not a finding.
    return subprocess.run(
        [SCHEMATHESIS, "run", f"{server.url}/api/schema", "--seed", SEED, "--no-shrink", "--workers", "1",
         "--request-timeout", "30", *CHECKS, *options],
        cwd=workdir, capture_output=True, text=True, timeout=300,
    )


def feed_statuses(log: str) -> list[int]:
    return [int(status) for status in FEED_REQUEST.findall(log)]


def test_schemathesis_finds_no_5xx_and_no_answer_off_the_document(tmp_path):
    rows_in_the_example_window()
    # Lifted so that the fuzzing reaches the feeds instead of the limit's 429 (documented
    # too, and met by the unauthenticated run's requests never).
    env = shared_database_env(tmp_path, API_RATE_LIMIT="1000000/min", API_MAX_STREAMS="16")
    manage(env, "seed_demo", "--players", "10", "-v0")  # recent rows, and two custom fields
    key = new_key(env, "schemathesis")
    push_key = new_key(env, "schemathesis push", "--push")
    log = tmp_path / "gunicorn.log"
    started = time.monotonic()
    with Gunicorn(env, log) as server:
        keyed = run(
            server, tmp_path, "--phases", "examples,coverage,fuzzing", "--max-examples", "50",
            # A pull key's pushes are all 403 (tests/api/test_push.py); the push key's run has them.
            "--exclude-method", "POST", "--header", f"Authorization: Bearer {key}",
        )
        keyed_statuses = feed_statuses(server.log_text())
        # The pushes (POST) with a push key: generated CSV and JSON bodies reach the
        # readers. Left out here too: negative_data_rejection, since the readers take any
        # JSON scalar as its text (`"12.5"` and `12.5` are one cell, as import_feed reads
        # them), so a body off the document's types may still be a good push. And the
        # validation_mismatch warning: a text/csv body is documented as a string (its
        # columns are named in its description), and a generated string is hardly ever a
        # feed's CSV, so most are refused (400, documented); every other warning shows.
        pushed = run(
            server, tmp_path, "--phases", "examples,coverage,fuzzing", "--max-examples", "10",
            "--include-method", "POST", "--exclude-checks", "positive_data_acceptance,negative_data_rejection",
            "--warnings", ",".join(PUSH_WARNINGS), "--header", f"Authorization: Bearer {push_key}",
        )
        push_statuses = feed_statuses(server.log_text())[len(keyed_statuses):]
        # Its one warning, "only 401/403 responses", is this run's point.
        # The coverage phase's hundreds of variants would all meet the same 401.
        anonymous = run(server, tmp_path, "--phases", "examples,fuzzing", "--max-examples", "10", "--warnings", "off")
        statuses = feed_statuses(server.log_text())
    anonymous_statuses = statuses[len(keyed_statuses) + len(push_statuses):]
    elapsed = time.monotonic() - started

    for name, done in (("with a key", keyed), ("with a push key", pushed), ("without a key", anonymous)):
        assert done.returncode == 0, f"schemathesis {name}:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
        assert "No issues found" in done.stdout, f"schemathesis {name}:\n{done.stdout[-3000:]}"
        print(f"\nschemathesis {name}: " + re.search(r"\d+ generated[^\n]*", done.stdout).group())
    assert len(keyed_statuses) >= 1000
    assert keyed_statuses.count(200) >= 100  # the feeds themselves were reached, not only refusals
    assert push_statuses.count(200) >= 10 and 400 in push_statuses  # pushes landed, and bad bodies were refused
    # Never a row without a key: 401, or a 400/405 that comes before authentication.
    assert 401 in anonymous_statuses and not {200, 425} & set(anonymous_statuses), sorted(set(anonymous_statuses))
    assert [s for s in statuses if s >= 500] == []
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(
        f"\nschemathesis: {len(keyed_statuses)} feed requests with a key, {len(push_statuses)} pushes with a push "
        f"key, {len(anonymous_statuses)} without, "
        f"in {elapsed:.0f} s; statuses {counts}; 0 5xx, 0 answers off the document"
    )
