"""What an answer's body has sent so far, counted as it streams (for the pull log)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Tally:
    rows: int = 0  # data rows, the CSV header not included
