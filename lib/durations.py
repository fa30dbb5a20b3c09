"""Durations as the contract writes them (assurance.md): a whole number followed by
``s``, ``m``, ``h`` or ``d`` (``30s``, ``5m``, ``1h``, ``1d``), read as whole seconds."""

from __future__ import annotations

import re

DURATION_FORM = "a whole number followed by s, m, h or d (30s, 5m, 1h, 1d)"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Digits only: no sign, no fraction, no space, no other unit; "0" is refused below.
_DURATION_RE = re.compile(r"(\d{1,9})([smhd])")


def parse_duration(text: str) -> int:
    """The seconds of ``text``; ValueError naming the expected form when it is not one,
    or is zero."""
    match = _DURATION_RE.fullmatch(text)
    if match is None or int(match[1]) == 0:
        raise ValueError(f"expected {DURATION_FORM}, at least 1s; got {text!r}")
    return int(match[1]) * UNITS[match[2]]
