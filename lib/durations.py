"""Durations as the contract writes them: a whole number and a unit, ``30s``, ``5m``,
``1h``, ``1d`` (assurance.md). One parser for every command and form that takes one
(``expect_pulls --every/--grace`` and the admin's expectations, a digest's step)."""

from __future__ import annotations

import re

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_FORM = "a whole number followed by s, m, h or d (30s, 5m, 1h, 1d)"
# Far beyond any sensible pull interval, and within the database's integer column.
LONGEST = 3650 * UNITS["d"]
UNPARSABLE = "expected a duration, {form}, got {text!r}"
TOO_LONG = "expected a duration of at most 3650d, got {text!r}"
ZERO = "expected a duration above 0, got {text!r}"
_DURATION_RE = re.compile(r"([0-9]+)([smhd])")
# Python reads at most this many digits as an integer (sys.get_int_max_str_digits): a
# longer number is refused as no duration rather than raise elsewhere.
_MOST_DIGITS = 4300


def parse_duration(text: str, *, allow_zero: bool = False, at_most: int | None = LONGEST) -> int:
    """``"5m"`` -> 300 (seconds). ValueError, whose message states the expected form, for
    anything else: a bare number, a fraction, a space, another unit, over 3650d, and a
    zero (``0s``, ``0d``) unless ``allow_zero``: an interval of nothing is a typo far more
    often than a wish, so a caller says where it means it (a grace of none). ``at_most``
    (seconds; None: no bound) is 3650d unless the caller says otherwise: a digest's step
    longer than its window is simply one part."""
    match = _DURATION_RE.fullmatch(text)
    if not match or len(match.group(1)) > _MOST_DIGITS:
        raise ValueError(UNPARSABLE.format(form=DURATION_FORM, text=text))
    seconds = int(match.group(1)) * UNITS[match.group(2)]
    if at_most is not None and seconds > at_most:
        raise ValueError(TOO_LONG.format(text=text))
    if seconds == 0 and not allow_zero:
        raise ValueError(ZERO.format(text=text))
    return seconds


def duration_text(seconds: int) -> str:
    """Seconds in the largest unit that divides them exactly: 3600 -> ``1h``, 90 -> ``90s``."""
    for unit, size in sorted(UNITS.items(), key=lambda item: -item[1]):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def elapsed_text(seconds: float) -> str:
    """A time gone by, for a person, to the unit that matters: ``45 s``, ``12 min``,
    ``2 h 05 min``, ``3 d 04 h`` (whole units, rounded down)."""
    whole = max(int(seconds), 0)
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours:02d} h"
