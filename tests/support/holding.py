"""A write held open in a process of its own, and a pull of a window that ends while it is.

The finality tests over real processes (tests/privacy/test_erasure_finality.py,
tests/deletions/test_deletions_finality_processes.py) all do this: a ``manage.py shell``
writes inside a transaction, prints the time it stamped, and keeps the transaction open;
the test asks gunicorn for a window that has ended after that time; the answer must not
come while the write is open (on SQLite the puller waits for the write lock, on
PostgreSQL for the open writer), and must hold the write once it commits.

The writer commits when the test says so (a line on its standard input), never after a
sleep of its own: a busy machine cannot make it commit before the pull has begun.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.support.servers import ROOT, Gunicorn
from tests.support.waiting import LIMIT, wait_until

# How long a pull that would be served at once is given to show it, while the write is
# held. A correct service waits however long this is; a broken one answers a window of a
# few rows in milliseconds.
SERVED_AT_ONCE = 0.5


def holding_writer(imports: str, write: str, stamp: str) -> str:
    """The ``manage.py shell`` program: ``write`` in a transaction, then ``stamp`` (an
    expression giving the time it wrote) printed, then held until a line comes in."""
    return (
        f"import sys\nfrom django.db import transaction\nfrom feeds.columns import format_timestamp\n{imports}\n"
        f"with transaction.atomic():\n    {write}\n"
        f"    print('stamped', format_timestamp({stamp}), flush=True)\n    sys.stdin.readline()\n"
    )


class HeldWrite:
    """``with HeldWrite(env, program) as write:`` the program running, its transaction open."""

    def __init__(self, env: dict[str, str], program: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", program], cwd=ROOT, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def __enter__(self) -> HeldWrite:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def stamped(self) -> dt.datetime:
        """The time the write stamped, once it has written (its transaction still open)."""
        for line in self.process.stdout:  # manage.py shell may say something first
            if line.startswith("stamped "):
                return dt.datetime.fromisoformat(line.split(" ", 1)[1].strip()).replace(tzinfo=dt.UTC)
        raise AssertionError(f"the write failed: {self.process.stderr.read()}")

    def commit(self) -> None:
        assert self.process.poll() is None, f"the write ended before it was let go: {self.process.stderr.read()}"
        self.process.stdin.write("\n")
        self.process.stdin.close()
        assert self.process.wait(LIMIT) == 0, self.process.stderr.read()


def wait_past(moment: dt.datetime) -> None:
    """Until the machine's clock (the database's, here) has passed ``moment``."""
    wait_until(lambda: dt.datetime.now(dt.UTC) > moment + dt.timedelta(milliseconds=50), f"the clock past {moment}",
               every=0.02)


@dataclass
class HeldPull:
    """A pull made while a write was held: whether it was answered before the write
    committed, and its answer."""

    served_while_open: bool
    answer: dict[str, Any] = field(default_factory=dict)


def pull_while_held(server: Gunicorn, path: str, key: str, write: HeldWrite) -> HeldPull:
    """``path`` asked while ``write`` is held; the write committed after SERVED_AT_ONCE."""
    answer: dict[str, Any] = {}
    puller = threading.Thread(target=lambda: answer.update(zip(("status", "headers", "body"), server.get(path, key))))
    puller.start()
    puller.join(SERVED_AT_ONCE)
    served_while_open = not puller.is_alive()
    write.commit()
    puller.join(LIMIT)
    assert not puller.is_alive(), f"{path} was never answered"
    return HeldPull(served_while_open, answer)

