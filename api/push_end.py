"""The hook at the end of a push answer: the ``push_ended`` signal.

A push is no pull: no window was received, so it must never reach the pull log (whose
gaps are the windows a key was sent) through ``answer_ended``. It has its own signal,
sent once the answer has been sent, which the metrics hear (operations/metrics.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.dispatch import Signal
from django.http import HttpResponseBase

from api.request_state import RequestState
from lib.when_sent import REPORT, when_sent

logger = logging.getLogger(__name__)

# Sent with ``push``: an EndedPush.
push_ended = Signal()


@dataclass(frozen=True)
class EndedPush:
    feed: str
    status: int
    rows: int  # records upserted (0 unless the push was answered 200)
    bytes: int  # body bytes read
    duration_ms: int


def report_push_when_sent(response: HttpResponseBase, state: RequestState) -> HttpResponseBase:
    """Send ``push_ended`` once ``response`` has been sent, with what ``state`` knows of
    the push by then."""

    def report() -> None:
        # Rows count only when they were written: a refused push wrote nothing.
        rows = state.pushed_rows if response.status_code == 200 else 0
        push = EndedPush(state.feed, response.status_code, rows, state.pushed_bytes, state.elapsed_ms())
        for receiver, error in push_ended.send_robust(sender=EndedPush, push=push):
            if isinstance(error, Exception):
                logger.warning(
                    "after the push to %s, %s failed: %s", state.feed, receiver.__qualname__, type(error).__name__
                )

    # Once, when the server closes the answer (lib/when_sent.py: in what order).
    return when_sent(response, REPORT, report)
