"""``export_feed``'s window as an operator writes it (issue 19): ``--from 2020-10-10`` is
that day's midnight UTC; ``--to now`` is the latest second a window can end at, and the
export then waits for writers still open into it as the API does (serving/finality.py);
``--help`` says that ``--from`` and ``--to`` are required."""

import datetime as dt
import io
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from feeds.stamping import clock, preserve_timestamps
from serving.management.commands.export_feed import Command, latest_end
from tests.support.factories import TournamentFactory, TransactionFactory, at
from tests.support.pg import Background, database_now, next_whole_second, raw_connection

pytestmark = pytest.mark.django_db


def export(tmp_path, *args: str) -> list[str]:
    """The ids the export wrote, in order."""
    path = tmp_path / "out.csv"
    call_command("export_feed", "transactions", *args, "--output", str(path), stdout=io.StringIO())
    return [line.split(",")[0] for line in path.read_text().splitlines()[1:]]


def test_a_date_alone_is_its_midnight_utc_on_both_sides(tmp_path):
    TransactionFactory(id="day-before", updated_at=at("2020-10-09 23:59:59"))
    TransactionFactory(id="midnight", updated_at=at("2020-10-10 00:00:00"))
    TransactionFactory(id="last-second", updated_at=at("2020-10-10 23:59:59"))
    TransactionFactory(id="next-day", updated_at=at("2020-10-11 00:00:00"))
    assert export(tmp_path, "--from", "2020-10-10", "--to", "2020-10-11") == ["midnight", "last-second"]
    assert export(tmp_path, "--from", "2020-10-10", "--to", "2020-10-11") == export(
        tmp_path, "--from", "2020-10-10 00:00:00", "--to", "2020-10-11 00:00:00"
    )


def test_to_now_is_the_current_second_of_the_stamping_clock():
    before = clock()
    end = latest_end()
    after = clock()
    assert end.microsecond == 0
    assert before.replace(microsecond=0) <= end <= after


def test_to_now_serves_what_was_written_before_and_nothing_after(tmp_path):
    now = clock()
    with preserve_timestamps():
        TransactionFactory(id="a-minute-ago", updated_at=now - dt.timedelta(minutes=1))
        TransactionFactory(id="in-an-hour", updated_at=now + dt.timedelta(hours=1))
    # Never 425, however close to the current second: `now` is never later than the clock.
    assert export(tmp_path, "--from", f"{now - dt.timedelta(hours=1):%Y-%m-%d}", "--to", "now") == ["a-minute-ago"]


def test_now_is_for_to_only(tmp_path):
    with pytest.raises(CommandError, match=r"^--from: expected .* \(its midnight UTC\); got 'now'$"):
        export(tmp_path, "--from", "now", "--to", "now")


def test_a_bad_to_names_to_and_its_forms_now_included(tmp_path):
    with pytest.raises(CommandError, match=r"^--to: expected a UTC time .* or a date YYYY-MM-DD .*, or now; got 'today'$"):
        export(tmp_path, "--from", "2020-10-10", "--to", "today")


def test_a_missing_bound_is_refused_naming_it_and_its_forms(tmp_path):
    with pytest.raises(CommandError, match=r"^--to is required for transactions: a UTC time .*, or now$"):
        export(tmp_path, "--from", "2020-10-10")
    with pytest.raises(CommandError, match=r"^--from is required for transactions: a UTC time "):
        export(tmp_path, "--to", "now")


def test_a_feed_with_an_optional_window_takes_dates_too(capsysbinary):
    TournamentFactory(id="old", modified_at=at("2019-01-01 00:00:00"))
    TournamentFactory(id="new", modified_at=at("2020-10-10 07:00:00"))
    call_command("export_feed", "tournaments", "--from", "2020-10-10", "--to", "now", verbosity=0)
    assert [line.split(b",")[0] for line in capsysbinary.readouterr().out.splitlines()[1:]] == [b"new"]


def test_help_shows_from_and_to_as_required_and_their_forms():
    text = Command().create_parser("manage.py", "export_feed").format_help()
    assert text.startswith("usage: manage.py export_feed FEED --from TIME --to TIME [--format csv|json]")
    assert "required (but for tournaments, sport-events, which without --from and --to give every row)" in " ".join(
        text.split()
    )
    assert "or now, the latest second a window can end at" in " ".join(text.split())


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_to_now_waits_for_a_writer_that_began_before_it_and_serves_its_row(tmp_path):
    """A row stamped before `now` by a transaction still open is in the window: the export
    waits for it, as a pull of that window would (never a window without it)."""
    insert = (
        "INSERT INTO payments_transaction (id, player_id, amount, currency, dir, created_at, updated_at) "
        "VALUES ('in-flight', 'p1', 10, 'EUR', 'IN', now(), '2000-01-01')"
    )
    with raw_connection() as writer:
        writer.execute(insert)  # stamped now by the trigger, not committed
        moment = next_whole_second(database_now())
        while database_now() < moment:  # `now` is then after the stamp
            time.sleep(0.02)
        exporting = Background(lambda: export(tmp_path, "--from", f"{moment - dt.timedelta(days=1):%Y-%m-%d}", "--to", "now"))
        exporting.start()
        exporting.join(0.5)
        served_early = not exporting.is_alive()
        writer.commit()
    assert not served_early, "the export ended while a writer could still commit into its window"
    assert exporting.result() == ["in-flight"]
