"""The client recipes of docs/clients.md keep the rules that lose no row.

The dlt recipe runs for real in tests/clients/test_client_dlt.py. The Airbyte manifest and the
Singer script need their own (large) installs, tried once by hand (docs/clients.md says
what came out); here their files are checked for the settings the rules depend on, so
that an edit that brings back a lossy default fails.
"""

import re

import pytest
import yaml

from tests.support.servers import ROOT

pytestmark = pytest.mark.engine_independent

DOC = ROOT / "docs" / "clients.md"
CLIENTS = ROOT / "docs" / "clients"


def test_the_doc_points_to_the_files_the_tests_and_trials_ran():
    text = DOC.read_text()
    for name in ("intarget_dlt.py", "airbyte-manifest.yaml", "singer-windows.sh"):
        assert f"](clients/{name})" in text and (CLIENTS / name).is_file(), name
    assert "tests/clients/test_client_dlt.py" in text


def test_the_airbyte_manifest_keeps_the_window_end_and_asks_half_open_windows():
    manifest = yaml.safe_load((CLIENTS / "airbyte-manifest.yaml").read_text())
    feed = manifest["definitions"]["feed"]
    cursor = feed["incremental_sync"]
    assert cursor["cursor_field"] == "_window_end"  # never updated_at
    assert {"path": ["_window_end"], "value": "{{ stream_interval.end_time }}"} in feed["transformations"][0]["fields"]
    assert cursor["cursor_granularity"] == "PT0S"  # PT1S leaves the last second of every step unasked
    assert (cursor["start_time_option"]["field_name"], cursor["end_time_option"]["field_name"]) == ("from", "to")
    requester = feed["retriever"]["requester"]
    assert requester["request_parameters"] == {"format": "json", "money": "string"}
    handler = requester["error_handler"]
    assert {425, 429, 503} <= set(handler["response_filters"][0]["http_codes"])
    assert handler["response_filters"][0]["action"] == "RETRY"
    assert handler["backoff_strategies"] == [{"type": "WaitTimeFromHeader", "header": "Retry-After"}]
    keys = {stream["name"]: stream["primary_key"] for stream in manifest["streams"]}
    assert keys == {"games": ["session_id"], "transactions": ["id"], "users": ["id"]}


def test_the_singer_script_keeps_the_window_end_only_after_success():
    script = (CLIENTS / "singer-windows.sh").read_text()
    assert "set -eu" in script
    assert "replication_key" not in script.split("set -eu")[1]  # the tap's bookmark is never used
    assert '"money": "string"' in script and '"format": "json"' in script
    assert '"backoff_param": "Retry-After"' in script
    assert re.search(r'stream games session_id\)', script)
    lines = script.splitlines()
    run = next(n for n, line in enumerate(lines) if line.startswith("tap-rest-api-msdk"))
    assert lines[run + 1] == 'echo "$to" > "$STATE_FILE"'  # after the tap and the target succeeded
