"""Durations (assurance.md): a whole number followed by s, m, h or d, parsed in one place
(lib/durations.py); a zero only where the caller allows it."""

import pytest

from lib.durations import DURATION_FORM, duration_text, elapsed_text, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("1d", 86400), ("90m", 5400), ("3650d", 315360000)])
def test_a_whole_number_and_a_unit_is_a_duration(text, seconds):
    assert parse_duration(text) == seconds
    assert parse_duration(text, allow_zero=True) == seconds


@pytest.mark.parametrize("text", ["", "5", "m", "1.5h", "-1h", "1 h", " 1h", "1h ", "1H", "1w", "1h30m", "١h", "3651d", "1" * 4301 + "s"])
def test_anything_else_is_refused_with_the_expected_form(text):
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text, allow_zero=True)


def test_the_form_is_in_the_message():
    with pytest.raises(ValueError) as refused:
        parse_duration("5")
    assert str(refused.value) == f"expected a duration, {DURATION_FORM}, got '5'"


@pytest.mark.parametrize("text", ["0s", "0m", "0h", "0d", "00s"])
def test_zero_is_refused_unless_allowed(text):
    with pytest.raises(ValueError) as refused:
        parse_duration(text)
    assert str(refused.value) == f"expected a duration above 0, got {text!r}"
    assert parse_duration(text, allow_zero=True) == 0


def test_seconds_are_written_in_the_largest_exact_unit():
    assert [duration_text(s) for s in (30, 90, 300, 3600, 5400, 86400, 0)] == ["30s", "90s", "5m", "1h", "90m", "1d", "0s"]


def test_a_time_gone_by_is_written_to_the_unit_that_matters():
    seconds = [0, 59.9, 60, 12 * 60 + 59, 3600, 2 * 3600 + 5 * 60, 86400 - 1, 3 * 86400 + 4 * 3600 + 59, -5]
    assert [elapsed_text(s) for s in seconds] == [
        "0 s", "59 s", "1 min", "12 min", "1 h 00 min", "2 h 05 min", "23 h 59 min", "3 d 04 h", "0 s",
    ]
