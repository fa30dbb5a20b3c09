"""``Seconds(a, b)``: the seconds from ``b`` to ``a``, computed by the database, the same
on SQLite (julianday) and PostgreSQL (epochs), fractions of a second included."""

import pytest
from django.db.models import F
from django.db.models.functions import TruncHour

from lib.seconds import Seconds
from operations.models import Pull
from tests.support.factories import PullFactory, at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "start, end, seconds",
    [
        ("2026-12-01 10:00:00", "2026-12-01 11:00:00", 3600),
        ("2026-12-01 10:00:00", "2026-12-01 10:00:00.25", 0.25),
        ("2026-11-30 23:59:59.5", "2026-12-01 00:00:00", 0.5),
        ("2026-01-01 00:00:00", "2026-12-31 00:00:00", 364 * 86400),
        ("2026-12-01 11:00:00", "2026-12-01 10:30:00", -1800),
    ],
)
def test_the_seconds_between_two_times(start, end, seconds):
    PullFactory(window_from=at(start), window_to=at(end))
    value = Pull.objects.annotate(s=Seconds(F("window_to"), F("window_from"))).get().s
    assert value == pytest.approx(seconds, abs=0.001)


def test_a_time_and_its_hour_truncated_in_sql():
    PullFactory(window_from=at("2026-12-01 10:42:07.5"))
    hour = TruncHour("window_from", tzinfo=at("2026-12-01 00:00:00").tzinfo)
    assert Pull.objects.annotate(s=Seconds(F("window_from"), hour)).get().s == pytest.approx(42 * 60 + 7.5, abs=0.001)
