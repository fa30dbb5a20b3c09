"""Push: rows a product sends over HTTP (``POST /api/<feed>``, operations.md section 10).

The write is ``import_stream``'s, exactly as ``import_feed`` without
``--preserve-timestamps``: records read and checked by the same readers, upserted by id
in one transaction, stamped by the service. So the transaction is an open writer of the
feed's tables like any import, and a pull of a window it may still stamp into waits for
it (serving/finality.py). A refused body leaves nothing behind: the refusal names its faults as
import_feed does, with ``line`` the CSV line or, for JSON, the object's 1-based place in
the array (a request body has no lines an editor would show).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions

from api.parsers import PushBody
from feeds.registry import Feed
from loading.importing import ImportRefused, import_stream
from loading.readers import Fault

EMPTY = {
    "csv": "the push body is empty; expected a CSV header line, then one line per row",
    "json": "the push body is empty; expected a JSON array of objects, one per row",
}


class PushRefused(exceptions.APIException):
    """400 with ``{"error", "line", "column", "faults": [...]}`` (the first fault, then
    every fault found, up to MAX_FAULTS); the exception handler adds ``fields``."""

    status_code = 400
    default_code = "push_refused"

    def __init__(self, faults: list[Fault], format: str, *, stopped_at_limit: bool = False):
        listed = [_fault(fault, format) for fault in faults]
        super().__init__(listed[0]["error"])
        self.fields: dict[str, Any] = {**listed[0], "faults": listed}
        if stopped_at_limit:
            self.fields["more_faults"] = True  # the reading stopped at the limit: there may be more


def _fault(fault: Fault, format: str) -> dict[str, Any]:
    line = fault.record if format == "json" else fault.line
    return {"error": fault.message, "line": line, "column": fault.column}


def push_rows(feed: Feed, body: PushBody) -> int:
    """Upsert every record of ``body`` into ``feed``; the number of records read
    (import_feed's count). Raises PushRefused, having written nothing, for a bad body."""
    if not body.stream.peek(1):
        raise PushRefused([Fault(EMPTY[body.format], line=1, record=1)], body.format)
    try:
        return import_stream(feed, body.stream, body.format)
    except ImportRefused as refused:
        raise PushRefused(refused.faults, body.format, stopped_at_limit=refused.stopped_at_limit) from None
