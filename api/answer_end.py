"""The one hook at the end of a feed answer: the ``answer_ended`` signal.

The view hands every feed answer to ``report_when_sent``, keyless refusals (401)
included, with ``key`` None for those: the pull log records only keyed answers, the
metrics count them all. Its body is wrapped in a counter of bytes that also notes
whether it was sent to its end; its rows are counted at the source (``serving/tally.py``:
COPY's blocks, or the portable path's rows).
When the server closes the answer (after its last byte, on a client gone away, or on an
error) the signal is sent once with an ``EndedAnswer`` (lib/when_sent.py: the order of
what runs then). Whatever listens (the pull log
and the metrics, in ``operations/``) runs after the answer was sent, so it can neither
slow nor fail it; a receiver that raises is logged and the others still run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal
from django.http import HttpResponseBase

from access.models import ApiKey
from api.request_state import RequestState
from feeds.window import Window
from lib.when_sent import REPORT, when_sent

logger = logging.getLogger(__name__)

# Sent with ``answer``: an EndedAnswer.
answer_ended = Signal()


@dataclass(frozen=True)
class EndedAnswer:
    key: ApiKey | None  # None: no recognised key (a 401)
    feed: str
    client: str
    format: str
    status: int
    started_at: dt.datetime
    window: Window | None
    sent_from: str  # `from` and `to` as the request carried them ("" when absent)
    sent_to: str
    rows: int  # data rows sent (the CSV header not counted)
    bytes: int  # body bytes sent, as sent: compressed when the answer was (compression.py)
    duration_ms: int
    complete: bool  # the body was sent to its end


class CountedBody:
    """The streamed body, its bytes counted; ``finished`` once it was read to its end."""

    def __init__(self, content: Any):
        self._content = iter(content)
        self.bytes = 0
        self.finished = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self._content)
        except StopIteration:
            self.finished = True
            raise
        self.bytes += len(chunk)
        return chunk


def report_when_sent(response: HttpResponseBase, state: RequestState) -> HttpResponseBase:
    """Send ``answer_ended`` once ``response`` has ended, with what ``state`` knows of
    the request by then."""
    if state.method == "HEAD":

        def sent() -> tuple[int, bool]:
            # Headers only: no body, so no window was received (sync_gaps must not count it).
            return 0, False
    elif response.streaming:
        body = CountedBody(response.streaming_content)  # type: ignore[attr-defined]
        response.streaming_content = body  # type: ignore[attr-defined]

        def sent() -> tuple[int, bool]:
            return body.bytes, body.finished
    else:

        def sent() -> tuple[int, bool]:
            # Rendered by then (a DRF Response renders after the view).
            return len(response.content), True  # type: ignore[attr-defined]

    def report() -> None:
        size, complete = sent()
        answer = EndedAnswer(
            key=state.key,
            feed=state.feed,
            client=state.client,
            format=state.format,
            status=response.status_code,
            started_at=state.started_at,
            window=state.window,
            sent_from=state.sent_from,
            sent_to=state.sent_to,
            rows=state.tally.rows if state.tally is not None else 0,
            bytes=size,
            duration_ms=state.elapsed_ms(),
            complete=complete,
        )
        for receiver, error in answer_ended.send_robust(sender=EndedAnswer, answer=answer):
            if isinstance(error, Exception):
                logger.warning(
                    "after the answer of %s, %s failed: %s", state.feed, receiver.__qualname__, type(error).__name__
                )

    # Once, when the server closes the answer: after the body's own close (the database
    # work is over by then), before the stream slot goes back (lib/when_sent.py).
    return when_sent(response, REPORT, report)
