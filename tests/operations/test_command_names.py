"""Every operator command refuses a key name or a feed name that does not exist, naming
it, the nearest known name and the names there are, with a non-zero exit status (issue
19): a typo never reads as "no pulls, no gaps".

Which names exist depends on what the command reads: the pull log's commands know every
API key's name (revoked too) and every name the log holds (a deleted key's pulls stay
listable), every served feed and every feed name the log holds; ``export_feed`` the
served feeds; ``import_feed`` the importable ones; ``revoke_api_key`` the keys."""

import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from access.models import ApiKey
from feeds.registry import served_feeds
from operations.models import Pull
from tests.support.factories import PullFactory, at, issue_key
from tests.support.servers import ROOT, migrate, service_env

pytestmark = pytest.mark.django_db

WINDOW = ["--from", "2020-10-10 07:00:00", "--to", "2020-10-10 08:00:00"]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def refusal(*args: str) -> str:
    with pytest.raises(CommandError) as refused:
        run(*args)
    return str(refused.value)


@pytest.fixture
def log():
    issue_key("InTarget")
    PullFactory(key_name="InTarget", feed="users", started_at=at("2026-12-01 10:00:00"))


# --- the pull log's commands ----------------------------------------------------------


@pytest.mark.parametrize("command", ["pull_log", "sync_gaps", "prune_pull_log"])
def test_an_unknown_key_name_is_refused_with_the_nearest_and_the_names_there_are(log, command):
    issue_key("demo")
    assert refusal(command, "--key", "intarget") == (
        "--key: no key name 'intarget'; did you mean 'InTarget'? The key names: InTarget, demo"
    )


@pytest.mark.parametrize("command", ["pull_log", "sync_gaps"])
def test_an_unknown_feed_name_is_refused_with_the_nearest_and_the_feeds_there_are(log, command):
    message = refusal(command, "--feed", "userz")
    assert message.startswith("--feed: no feed 'userz'; did you mean 'users'? The feeds: ")
    assert set(served_feeds()) <= set(message.split("The feeds: ", 1)[1].split(", "))  # every served feed


def test_a_revoked_key_with_no_pulls_yet_is_a_key_name(log):
    key, _ = issue_key("InTarget staging")
    key.revoked_at = at("2026-12-01 00:00:00")
    key.save()
    assert run("pull_log", "--key", "InTarget staging").splitlines()[1:] == []
    assert run("sync_gaps", "--key", "InTarget staging") == "key,feed,from,to\n"


def test_a_deleted_keys_pulls_stay_listable_under_its_name(log):
    PullFactory(key_name="old partner", started_at=at("2026-12-01 11:00:00"))
    ApiKey.objects.filter(name="old partner").delete()  # never had one here, as after a deletion
    assert [line.split(",")[1] for line in run("pull_log", "--key", "old partner").splitlines()[1:]] == ["old partner"]


def test_a_feed_name_the_log_holds_is_listable_though_no_feed_has_it(log):
    """A key that asked for /api/userz got a 404, logged under that name: the operator
    can list those pulls by it."""
    PullFactory(feed="userz", status=404, window_from=None, window_to=None, started_at=at("2026-12-01 11:00:00"))
    (line,) = run("pull_log", "--feed", "userz").splitlines()[1:]
    assert ",userz,,,csv,404," in line


def test_a_served_feed_with_no_pulls_yet_is_a_feed_name(log):
    assert run("pull_log", "--feed", "bets").splitlines()[1:] == []


def test_prune_with_an_unknown_key_removes_nothing(log):
    refusal("prune_pull_log", "--key", "nosuch", "--before", "now")
    assert Pull.objects.count() == 1


# --- the commands of feeds and keys ---------------------------------------------------


def test_export_feed_refuses_an_unknown_feed_naming_the_nearest_served_one():
    message = refusal("export_feed", "userz", *WINDOW)
    assert message.startswith("no served feed 'userz'; did you mean 'users'? The served feeds: users, contacts,")


def test_export_feed_refuses_a_feed_that_is_only_imported():
    assert "no served feed 'game-actions'" in refusal("export_feed", "game-actions", *WINDOW)


def test_import_feed_refuses_a_feed_that_cannot_be_imported_naming_those_that_can(tmp_path):
    path = tmp_path / "games.csv"
    path.write_text("player_id,session_id\np1,s1\n")
    message = refusal("import_feed", "games", str(path))
    assert message.startswith("no importable feed 'games'; the importable feeds: users, contacts,")
    assert "game-actions" in message.split(": ", 1)[1]


def test_revoke_api_key_refuses_an_unknown_name_naming_the_keys_there_are():
    issue_key("InTarget")
    assert refusal("revoke_api_key", "Intarget") == "no key name 'Intarget'; did you mean 'InTarget'? The key names: InTarget"
    assert ApiKey.objects.active().count() == 1


def test_from_the_shell_an_unknown_name_is_exit_status_1_and_one_line_on_stderr(tmp_path):
    env = service_env(tmp_path)
    migrate(env)
    done = subprocess.run(
        [sys.executable, "manage.py", "sync_gaps", "--feed", "userz"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("CommandError: --feed: no feed 'userz'; did you mean 'users'?")
    assert len(done.stderr.splitlines()) == 1
