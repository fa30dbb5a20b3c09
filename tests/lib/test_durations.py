"""Durations as the contract writes them: a whole number and s, m, h or d."""

import pytest

from lib.durations import parse_duration


@pytest.mark.parametrize("text, seconds", [("30s", 30), ("5m", 300), ("1h", 3600), ("1d", 86400), ("007h", 25200)])
def test_a_duration_is_whole_seconds(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "0d", "5", "m", "1.5h", "-1h", "+1h", "1 h", " 1h", "1H", "1w", "1h30m"])
def test_anything_else_is_refused_naming_the_form(text):
    with pytest.raises(ValueError, match=r"a whole number followed by s, m, h or d \(30s, 5m, 1h, 1d\), at least 1s"):
        parse_duration(text)
