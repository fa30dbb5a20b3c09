"""Work to do once an answer has been sent, in one documented order: ``when_sent``.

The seam is Django's own. A server ends a response by calling its ``close()``: a WSGI
server after the last byte, when the client went away, or when sending failed (and so
does Django's test client). ``close()`` runs the response's resource closers, in the
order they were added, then sends ``request_finished``, which may close the database
connection. The body's own closers are added first, when the body is set: a streamed
body's ``close`` (which ends COPY's transaction, serving/copy_stream.py), a spooled
answer's file (api/spooling.py).

``when_sent`` adds one closer to a response, after those, and that closer runs every
step asked for, in the order of ``STEPS`` whatever order they were asked in:

1. ``REPORT``: the end of the answer is told: ``answer_ended`` for a pull (the pull log,
   then the metrics: api/answer_end.py), ``push_ended`` for a push (the metrics:
   api/push_end.py). After the body's close: the answer's database work is over (the
   pull log writes on the same connection) and its bytes and rows are final.
2. ``RELEASE``: what the request held goes back: the key's stream slot
   (access/limits.py, API_MAX_STREAMS). Last: the slot counts a response in progress,
   and its thread is busy until the report is done.

Each step runs once, even if the response is closed again (Django's test client closes
an answer left unread from inside its close). One that raises is logged by its
exception's type only (no secret reaches the log) and the next still run, as Django runs
each closer whatever the previous one did. This is the one place that touches Django's
private ``_resource_closers``; it imports no app, so that ``access`` can use it without
importing ``api``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpResponseBase

logger = logging.getLogger(__name__)

REPORT = "report"
RELEASE = "release"
STEPS = (REPORT, RELEASE)

# The response's attribute that holds its pending steps until it is closed.
PENDING = "_when_sent"


def when_sent(response: HttpResponseBase, step: str, callback: Callable[[], object]) -> HttpResponseBase:
    """Run ``callback`` as step ``step`` once ``response`` has been sent (see the module's
    docstring); the callbacks of one step run in the order they were given."""
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}; the steps are {', '.join(STEPS)}")
    pending: dict[str, list[Callable[[], object]]] | None = getattr(response, PENDING, None)
    if pending is None:
        pending = {name: [] for name in STEPS}
        setattr(response, PENDING, pending)
        response._resource_closers.append(lambda: _run(response))  # type: ignore[attr-defined]
    pending[step].append(callback)
    return response


def _run(response: HttpResponseBase) -> None:
    pending = response.__dict__.pop(PENDING, None)
    if pending is None:  # already run: a second close
        return
    for step in STEPS:
        for callback in pending[step]:
            try:
                callback()
            except Exception as error:
                logger.warning("after an answer was sent, its %s step failed: %s", step, type(error).__name__)
