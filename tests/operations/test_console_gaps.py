"""The gaps the console and ``sync_gaps`` show, found by the database (a window function),
are exactly those of the plain walk over the windows that the spec describes."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from operations.models import Pull
from operations.selectors import Gap, sync_gaps
from tests.support.factories import PullFactory, at

pytestmark = pytest.mark.django_db


def walked(pulls: list[Pull]) -> list[Gap]:
    """The reference: per key and feed, walk the complete 200 windows by ``from`` and
    report every start beyond what the earlier windows reached."""
    gaps = []
    for key, feed in sorted({(pull.key_name, pull.feed) for pull in pulls}):
        windows = sorted(
            (pull.window_from, pull.window_to)
            for pull in pulls
            if (pull.key_name, pull.feed) == (key, feed) and pull.status == 200 and pull.complete
        )
        reached = None
        for start, end in windows:
            if reached is not None and start > reached:
                gaps.append(Gap(key, feed, reached, start))
            reached = end if reached is None else max(reached, end)
    return gaps


@pytest.mark.parametrize("seed", range(5))
def test_the_database_finds_the_gaps_the_walk_finds(seed):
    rng = random.Random(seed)
    origin = at("2026-12-01 00:00:00")
    pulls = []
    for _ in range(150):
        start = origin + dt.timedelta(minutes=rng.randrange(0, 600))
        pulls.append(
            PullFactory(
                key_name=rng.choice(["a", "b"]),
                feed=rng.choice(["users", "bets"]),
                window_from=start,
                window_to=start + dt.timedelta(minutes=rng.choice([1, 5, 15])),
                status=rng.choice([200, 200, 200, 425]),
                complete=rng.random() > 0.1,
            )
        )
    expected = walked(pulls)
    assert expected, "the data should have holes"
    assert list(sync_gaps()) == expected
    assert list(sync_gaps(key="a", feed="users")) == [gap for gap in expected if (gap.key, gap.feed) == ("a", "users")]
