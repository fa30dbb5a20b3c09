"""Commands whose output is read by another program (``export_feed … | head``).

When the reader goes away, such a command ends as ``cat`` or ``grep`` do: silently, killed
by SIGPIPE (a shell reports status 141), instead of a ``BrokenPipeError`` traceback and a
second one from closing the database at exit. Python ignores SIGPIPE by default; the
default action is put back only for a command run from the command line
(``run_from_argv``), never inside ``call_command`` in a longer-lived process, where a closed
socket must stay an exception.
"""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand


class PipeableCommand(BaseCommand):
    def run_from_argv(self, argv: list[str]) -> Any:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        return super().run_from_argv(argv)
