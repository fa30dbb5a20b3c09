"""Commands whose output may be read by another program (``pull_log | head``).

When the reader goes away before the command is done, the command ends quietly with exit
status 0: no ``BrokenPipeError`` traceback, no second one from closing the database or
flushing stdout at exit. 0, not the 141 of a process killed by SIGPIPE, because the
reader chose to stop: under ``set -o pipefail`` a pipeline such as
``pull_log | head -1`` is then as successful as its reader, and a reader that failed
still fails it.

The error is caught inside ``execute``, while the database connection is still open:
the query whose rows were being written (a server-side cursor, a COPY) is closed there,
as the exception unwinds, not at exit on a closed connection. Work done before the
write that failed stays done (an import committed, a key revoked); a command that must
not keep its work when its output was lost writes that output inside its transaction
(``create_api_key``). Only a command run from the command line ends quietly; inside
``call_command`` in a longer-lived process a closed stream stays an exception. And only
when it is stdout that broke: a BrokenPipeError from anything else (a socket to a
webhook) is a failure like any other.
"""

from __future__ import annotations

import os
import select
import sys
from typing import Any

from django.core.management.base import BaseCommand


class PipeableCommand(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> Any:
        if not getattr(self, "_called_from_command_line", False):
            return super().execute(*args, **options)
        try:
            output = super().execute(*args, **options)
            # What is still buffered is written now, while a closed pipe can be told
            # apart from a failure (at exit Python would print an error and exit 120).
            sys.stdout.flush()
        except BrokenPipeError:
            if not stdout_broken():
                raise
            reader_gone()
            return None
        return output


def stdout_broken() -> bool:
    """Whether stdout's reader is gone: its pipe (or socket) reports an error to poll(),
    asked without writing a byte."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError):  # no file descriptor (a replaced sys.stdout)
        return False


def reader_gone() -> None:
    """Send what is left of the output nowhere: the final flush at exit then succeeds,
    and so does any later write. Standard error too, when it is the same pipe
    (``2>&1 | head``); otherwise it still reaches the terminal."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        same_pipe = _same_file(sys.stdout, sys.stderr)
        os.dup2(devnull, sys.stdout.fileno())
        if same_pipe:
            os.dup2(devnull, sys.stderr.fileno())
    finally:
        os.close(devnull)


def _same_file(first: Any, second: Any) -> bool:
    try:
        a, b = os.fstat(first.fileno()), os.fstat(second.fileno())
    except (OSError, ValueError):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
