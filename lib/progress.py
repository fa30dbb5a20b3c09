"""A long command's progress, for the person watching it, and its one-line summary.

A bar (tqdm: rows done, rows per second) is drawn on stderr only when stderr is a
terminal and the command was not made quiet with ``--verbosity 0``. Piped or redirected,
a command writes no carriage-return noise into a log, only its summary line at the end;
with ``--verbosity 0``, not even that.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm


class Progress:
    """Rows done so far: ``with Progress(command, verbosity) as progress: progress(n)``."""

    def __init__(self, command: BaseCommand, verbosity: int, *, what: str = ""):
        # The real stream: Django's OutputWrapper ends every write with a newline, which
        # would turn the bar's redraws into one line each.
        stream = getattr(command.stderr, "_out", command.stderr)
        self.quiet = verbosity < 1
        self.shown = not self.quiet and stream.isatty()
        self.rows = 0
        self.seconds: float | None = None  # set at the end of the with block
        self._started = time.monotonic()
        self._bar = tqdm(
            desc=what or None,
            unit=" rows",
            file=stream,
            disable=not self.shown,
            leave=False,  # the summary line takes its place
            dynamic_ncols=True,  # redrawn at most every 0.1 s (tqdm's TQDM_MININTERVAL)
        )

    def __call__(self, rows: int) -> None:
        """``rows`` done so far (a running total, not an increment)."""
        self._bar.update(rows - self.rows)
        self.rows = rows

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._bar.close()
        self.seconds = time.monotonic() - self._started

    def summary(self, done: str = "") -> str:
        """``1234 rows <done> in 0.56 s (2203 rows/s)``, once the ``with`` block has ended."""
        seconds = self.seconds if self.seconds is not None else time.monotonic() - self._started
        rate = self.rows / seconds if seconds > 0 else 0
        return " ".join(filter(None, [f"{self.rows} rows", done, f"in {seconds:.2f} s ({rate:.0f} rows/s)"]))
