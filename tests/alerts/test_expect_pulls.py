"""``manage.py expect_pulls`` (assurance.md section 13): which keys should complete a pull
of which feed how often; a refusal names what is wrong and changes nothing."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from alerts.models import Expectation
from feeds.registry import served_feeds
from tests.support.factories import ExpectationFactory, issue_key
from tests.support.servers import migrate, run_manage, service_env

pytestmark = pytest.mark.django_db


def expect(*args: str) -> str:
    out = io.StringIO()
    call_command("expect_pulls", *args, stdout=out)
    return out.getvalue()


def expected() -> list[tuple[str, str, int, int]]:
    return list(Expectation.objects.order_by("key_name", "feed").values_list("key_name", "feed", "every", "grace"))


def test_every_feed_the_keys_may_pull_by_default_grace_as_every(intarget):
    expect("InTarget", "--every", "1h")
    # "deletions included" (assurance.md section 15), once that feed is served.
    feeds = sorted({"bets", "users"} | ({"deletions"} & set(served_feeds())))
    assert expected() == [("InTarget", feed, 3600, 3600) for feed in feeds]


def test_a_key_that_opens_every_feed_is_expected_to_pull_every_served_feed(db):
    issue_key("InTarget")
    expect("InTarget", "--every", "5m", "--grace", "30s")
    assert expected() == [("InTarget", feed, 300, 30) for feed in sorted(served_feeds())]


def test_named_feeds_only_and_setting_again_replaces_and_counts_as_a_pull(intarget):
    expect("InTarget", "--every", "1h", "--feeds", "users")
    first = Expectation.objects.get().set_at
    out = expect("InTarget", "--every", "1d", "--grace", "1h", "--feeds", " users ,bets")
    assert expected() == [("InTarget", "bets", 86400, 3600), ("InTarget", "users", 86400, 3600)]
    assert Expectation.objects.get(feed="users").set_at > first
    assert "InTarget · users: a complete pull at least every 1d (86400 s), grace 1h (3600 s)" in out


def test_a_grace_of_none_is_allowed_an_every_of_none_is_not(intarget):
    """Late the moment ``every`` has passed is a choice; a pull every 0 s is a typo."""
    out = expect("InTarget", "--every", "1s", "--grace", "0s", "--feeds", "users")
    assert expected() == [("InTarget", "users", 1, 0)]
    assert "InTarget · users: a complete pull at least every 1s (1 s), grace 0s (0 s)" in out
    with pytest.raises(CommandError) as refused:
        expect("InTarget", "--every", "0d", "--grace", "0s", "--feeds", "users")
    assert str(refused.value) == "--every: expected a duration above 0, got '0d'"
    assert expected() == [("InTarget", "users", 1, 0)]


def test_an_expectation_survives_the_key_rotated_under_the_same_name(intarget):
    expect("InTarget", "--every", "1h", "--feeds", "users")
    issue_key("InTarget", feeds=["users"])
    intarget.revoke()
    expect("InTarget", "--every", "2h", "--feeds", "users")
    assert expected() == [("InTarget", "users", 7200, 7200)]


def test_off_removes_the_named_feeds_or_all(intarget):
    expect("InTarget", "--every", "1h")
    assert "InTarget · bets: no longer expected" in expect("InTarget", "--off", "--feeds", "bets")
    left = sorted({"users"} | ({"deletions"} & set(served_feeds())))
    assert expected() == [("InTarget", feed, 3600, 3600) for feed in left]
    expect("InTarget", "--off")
    assert expected() == []
    assert "no expected pull to remove" in expect("InTarget", "--off")


def test_off_removes_the_expectation_of_a_key_name_no_key_has_any_more(db):
    ExpectationFactory(key_name="Old name", feed="users")
    expect("Old name", "--off")
    assert expected() == []


REFUSALS = [
    # Names are refused as every command refuses them (lib/known_names.py): the nearest, the list.
    (["Nobody", "--every", "1h"], "no key name 'Nobody'; the key names: InTarget, Pusher"),
    (["Intarget", "--every", "1h"], "no key name 'Intarget'; did you mean 'InTarget'? The key names: InTarget, Pusher"),
    (["InTarget", "--every", "1h", "--feeds", "wallets"],
     "--feeds: the keys named 'InTarget' may not pull 'wallets'; they may pull: users, bets"),
    (["InTarget", "--every", "1h", "--feeds", "users,nosuchfeed"], "--feeds: no served feed 'nosuchfeed'; the served feeds: users, "),
    (["InTarget", "--every", "1h", "--feeds", "users,user"],
     "--feeds: no served feed 'user'; did you mean 'users'? The served feeds: users, "),
    (["InTarget", "--every", "1h", "--feeds", "game-actions"], "--feeds: no served feed 'game-actions'; "),
    (["InTarget", "--every", "1h", "--feeds", ","], "--feeds: expected one or more feed names"),
    (["InTarget", "--every", "1x"], "--every: expected a duration, a whole number followed by s, m, h or d"),
    (["InTarget", "--every", "0s"], "--every: expected a duration above 0, got '0s'"),
    (["InTarget", "--every", "1h", "--grace", "soon"], "--grace: expected a duration"),
    (["InTarget"], "--every: required"),
    (["InTarget", "--off", "--every", "1h"], "--off: takes no --every or --grace"),
    (["Nobody", "--off"], "no key name 'Nobody'; the key names: InTarget, Pusher"),
    (["InTarget", "--off", "--feeds", "wallets"], "--feeds: the keys named 'InTarget' may not pull 'wallets'"),
    (["InTarget", "--off", "--feeds", "walets"], "--feeds: no served feed 'walets'; did you mean 'wallets'?"),
    (["Pusher", "--every", "1h"], "no active pull key is named 'Pusher': its keys are revoked, expired or push keys"),
]


@pytest.mark.parametrize(("args", "message"), REFUSALS)
def test_a_refusal_names_what_is_wrong_and_changes_nothing(intarget, args, message):
    issue_key("Pusher", push=True)
    ExpectationFactory(key_name="InTarget", feed="users", every=60, grace=60, set_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    before = list(Expectation.objects.values())
    with pytest.raises(CommandError) as refused:
        expect(*args)
    assert str(refused.value).startswith(message)
    assert list(Expectation.objects.values()) == before


@pytest.mark.engine_independent
def test_a_refusal_is_a_non_zero_exit_status_from_the_command_line(tmp_path):
    env = service_env(tmp_path)
    migrate(env)
    done = run_manage(env, "expect_pulls", "Nobody", "--every", "1h")
    assert done.returncode != 0
    assert done.stderr == "CommandError: no key name 'Nobody'; there is none yet\n"
