"""What the feed view learns of one request, in one object: ``RequestState``.

Made once per request, when Django sets the view up (``FeedView.setup``), filled in as
DRF's steps run (authentication: the key; negotiation: the format; the handler: the
window and the tally, or the rows of a push), and handed whole to the end of the answer
(answer_end.py for a pull, push_end.py for a push), which reports it once the answer has
been sent. Nothing else about the request is kept on the view.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils import timezone

from access.clients import client_address
from access.models import ApiKey
from feeds.window import Window
from serving.tally import Tally


# A bound's text as sent is kept this long: a window's bound is 19 to 25 characters, and
# anything longer is not one (the pull log keeps what it can show).
SENT_LENGTH = 64


@dataclass
class RequestState:
    feed: str  # the name in the path, served or not
    method: str  # GET, HEAD or POST
    client: str  # the client's address (access/clients.py)
    started_at: dt.datetime = field(default_factory=timezone.now)  # UTC, for the pull log
    started: float = field(default_factory=time.monotonic)  # for durations
    key: ApiKey | None = None  # None until a key is recognised (a 401 keeps it None)
    format: str = ""  # the format negotiated ("" when negotiation failed)
    window: Window | None = None  # a pull's window, once parsed
    # What the request carried as `from` and `to`, as text, whatever comes of it (a
    # refused window is logged as sent): at most SENT_LENGTH characters, "" when absent.
    sent_from: str = ""
    sent_to: str = ""
    tally: Tally | None = None  # a pull's rows sent, counted as they stream; None: none sent
    pushed_rows: int = 0  # a push's records upserted
    pushed_bytes: int = 0  # a push's body bytes read

    @classmethod
    def begin(cls, request: HttpRequest, feed: str) -> RequestState:
        return cls(
            feed=feed,
            method=request.method or "",
            client=client_address(request),
            sent_from=request.GET.get("from", "")[:SENT_LENGTH],
            sent_to=request.GET.get("to", "")[:SENT_LENGTH],
        )

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self.started) * 1000)
