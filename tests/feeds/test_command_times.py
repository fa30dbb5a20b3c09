"""A time given to a command is parsed once (feeds/command_times.py): a UTC time as the API
takes a bound, or a date alone meaning its midnight UTC, and ``now`` only where the
command gives it a meaning; anything else is refused naming the option and the forms.
Every command that takes a time takes it so: ``pull_log --since``, ``create_api_key
--expires``, ``prune_pull_log --before`` here, ``export_feed`` in
tests/serving/test_export_feed_times.py."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from access.models import ApiKey
from feeds.command_times import command_time
from operations.models import Pull
from tests.support.factories import PullFactory, at

UTC = dt.timezone.utc


@pytest.mark.parametrize(
    "text, meant",
    [
        ("2026-12-06", at("2026-12-06 00:00:00")),
        ("2026-12-06 13:14:15", at("2026-12-06 13:14:15")),
        ("2026-12-06T13:14:15Z", at("2026-12-06 13:14:15")),
        ("2026-12-06+13:14:15", at("2026-12-06 13:14:15")),
        (" 2026-12-06 13:14:15+00:00 ", at("2026-12-06 13:14:15")),
    ],
)
def test_a_time_or_a_date_alone_its_midnight_utc(text, meant):
    assert command_time("--since", text) == meant
    assert command_time("--since", text).tzinfo == UTC


def test_now_is_what_the_command_says_it_is_and_only_where_it_says():
    assert command_time("--to", "now", now=lambda: at("2026-12-06 10:00:00")) == at("2026-12-06 10:00:00")
    assert command_time("--to", "NOW", now=lambda: at("2026-12-06 10:00:00")) == at("2026-12-06 10:00:00")
    with pytest.raises(CommandError, match=r"^--since: expected .*; got 'now'$"):
        command_time("--since", "now")


@pytest.mark.parametrize("text", ["yesterday", "2026-12-6", "2026-02-30", "2026-12-06 7:00", "06.12.2026", ""])
def test_anything_else_is_refused_naming_the_option_and_the_forms(text):
    with pytest.raises(CommandError) as refused:
        command_time("--since", text)
    assert str(refused.value) == (
        f"--since: expected a UTC time YYYY-MM-DD HH:MM:SS or a date YYYY-MM-DD (its midnight UTC); got {text!r}"
    )


def test_where_now_is_taken_the_refusal_says_so():
    with pytest.raises(CommandError, match=r"\(its midnight UTC\), or now; got 'later'$"):
        command_time("--to", "later", now=lambda: at("2026-12-06 10:00:00"))


@pytest.mark.parametrize(
    "text, why", [("2026-12-06 10:00:00.5", "whole second"), ("2026-12-06 10:00:00+02:00", "must be in UTC")]
)
def test_a_fraction_or_another_offset_is_refused_saying_why(text, why):
    with pytest.raises(CommandError, match=why) as refused:
        command_time("--since", text)
    assert str(refused.value).startswith("--since ")


# --- every command that takes a time --------------------------------------------------


@pytest.mark.django_db
def test_pull_log_since_a_date_alone_starts_at_its_midnight():
    PullFactory(started_at=at("2026-12-05 23:59:59"))
    PullFactory(started_at=at("2026-12-06 00:00:00"))
    out = io.StringIO()
    call_command("pull_log", "--since", "2026-12-06", stdout=out)
    assert [line.split(",")[0] for line in out.getvalue().splitlines()[1:]] == ["2026-12-06 00:00:00"]


@pytest.mark.django_db
def test_pull_log_since_refuses_a_bad_time_by_name():
    with pytest.raises(CommandError, match=r"^--since: expected a UTC time .* or a date YYYY-MM-DD"):
        call_command("pull_log", "--since", "yesterday")


@pytest.mark.django_db
def test_create_api_key_expires_at_the_midnight_of_a_date_alone():
    call_command("create_api_key", "InTarget", "--expires", "2099-01-02", stdout=io.StringIO())
    assert ApiKey.objects.get().expires_at == at("2099-01-02 00:00:00")


@pytest.mark.django_db
def test_prune_before_a_date_alone_or_now_removes_the_entries_started_before_it():
    PullFactory(started_at=at("2026-12-05 23:59:59"))
    kept = PullFactory(started_at=at("2026-12-06 00:00:00"))
    out = io.StringIO()
    call_command("prune_pull_log", "--before", "2026-12-06", stdout=out)
    assert list(Pull.objects.all()) == [kept]
    assert out.getvalue() == "1 pull log entries started before 2026-12-06 00:00:00 removed\n"
    with time_machine.travel(at("2026-12-06 00:00:01"), tick=False):
        call_command("prune_pull_log", "--before", "now", stdout=io.StringIO())
    assert not Pull.objects.exists()
