"""Durations (assurance.md): a whole number followed by s, m, h or d, parsed in one place."""

import pytest

from alerts.durations import duration_text, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("1d", 86400), ("0s", 0), ("90m", 5400)])
def test_a_whole_number_and_a_unit_is_a_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "m", "1.5h", "-1h", "1 h", " 1h", "1h ", "1H", "1w", "1h30m", "١h", "3651d"])
def test_anything_else_is_refused_with_the_expected_form(text):
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_seconds_are_written_in_the_largest_exact_unit():
    assert [duration_text(s) for s in (30, 90, 300, 3600, 5400, 86400, 0)] == ["30s", "90s", "5m", "1h", "90m", "1d", "0s"]
