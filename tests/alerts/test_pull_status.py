"""``manage.py pull_status`` (assurance.md section 13): one line per key and feed with an
expectation, ordered by key, feed, with the exact CSV header; JSON with the same keys and
null for an absent value."""

import io
import json

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tests.alerts.conftest import pulled
from tests.support.factories import ExpectationFactory, PullFactory, at, issue_key

pytestmark = pytest.mark.django_db

NOW = at("2024-03-10 07:12:00")


def pull_status(*options: str) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("pull_status", *options, stdout=out)
    return out.getvalue()


@pytest.fixture
def expectations():
    set_at = at("2024-03-01 00:00:00")
    ExpectationFactory(key_name="InTarget", feed="users", every=600, grace=120, set_at=set_at)
    ExpectationFactory(key_name="InTarget", feed="bets", every=3600, grace=3600, set_at=set_at)
    ExpectationFactory(key_name="Backup, staging", feed="users", every=86400, grace=60, set_at=at("2024-03-10 07:00:00"))
    # users: up, last ended 07:00:04.9 (shown 07:00:04), last `to` 07:00:00; a gap 05:00-06:00.
    pulled(ended=at("2024-03-10 07:00:04.900000"), window_from=at("2024-03-10 06:00:00"), window_to=at("2024-03-10 07:00:00"))
    pulled(ended=at("2024-03-10 05:00:02"), window_from=at("2024-03-10 04:00:00"), window_to=at("2024-03-10 05:00:00"))
    # bets: late: its one pull failed, and a pull of another key counts for that key only.
    PullFactory(key_name="InTarget", feed="bets", started_at=at("2024-03-10 07:10:00"), status=503)
    PullFactory(key_name="Other", feed="bets", started_at=at("2024-03-10 07:10:00"))


def test_csv_one_line_per_key_and_feed_ordered_by_key_and_feed(expectations):
    assert pull_status() == (
        "key,feed,every,grace,state,last_pull_at,last_to,gaps\n"
        '"Backup, staging",users,86400,60,up,,,0\n'
        "InTarget,bets,3600,3600,late,,,0\n"
        "InTarget,users,600,120,up,2024-03-10 07:00:04,2024-03-10 07:00:00,1\n"
    )


def test_json_has_the_same_keys_with_null_for_absent_values(expectations):
    assert json.loads(pull_status("--format", "json")) == [
        {"key": "Backup, staging", "feed": "users", "every": 86400, "grace": 60, "state": "up",
         "last_pull_at": None, "last_to": None, "gaps": 0},
        {"key": "InTarget", "feed": "bets", "every": 3600, "grace": 3600, "state": "late",
         "last_pull_at": None, "last_to": None, "gaps": 0},
        {"key": "InTarget", "feed": "users", "every": 600, "grace": 120, "state": "up",
         "last_pull_at": "2024-03-10 07:00:04", "last_to": "2024-03-10 07:00:00", "gaps": 1},
    ]


def test_one_key_name_only(expectations):
    assert pull_status("--key", "InTarget").splitlines()[1:] == [
        "InTarget,bets,3600,3600,late,,,0",
        "InTarget,users,600,120,up,2024-03-10 07:00:04,2024-03-10 07:00:00,1",
    ]
    # A key with no expectation: nothing to list.
    issue_key("Nobody expected")
    assert pull_status("--key", "Nobody expected") == "key,feed,every,grace,state,last_pull_at,last_to,gaps\n"
    assert json.loads(pull_status("--key", "Nobody expected", "--format", "json")) == []


def test_an_unknown_key_name_is_refused_naming_the_nearest_not_listed_as_empty(expectations):
    """A typo must not read as "nothing expected" (lib/known_names.py, as pull_log --key)."""
    issue_key("Pusher", push=True)
    with pytest.raises(CommandError) as refused:
        pull_status("--key", "Intarget")
    assert str(refused.value) == (
        "--key: no key name 'Intarget'; did you mean 'InTarget'? The key names: Backup, staging, InTarget, Pusher"
    )
