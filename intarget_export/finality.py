"""A window is served only once it is final: never half-full.

A window that ends in the future is answered 425 Too Early with ``Retry-After`` (the
seconds until it ends), so that a puller that asks too soon retries instead of storing
an incomplete window.
"""

from __future__ import annotations

import math

from rest_framework.exceptions import APIException

from intarget_export.stamping import clock
from intarget_export.window import Window

NOT_ENDED = "the window ends at {end}, in the future; ask again after it ends"


class WindowNotFinal(APIException):
    status_code = 425
    default_code = "window_not_final"

    def __init__(self, detail: str, wait: float):
        super().__init__(detail)
        # DRF's exception handler turns `wait` into a Retry-After header.
        self.wait = max(1, math.ceil(wait))


def ensure_final(window: Window) -> None:
    if window.end is None or window.is_empty:
        return
    now = clock()
    if window.end > now:
        raise WindowNotFinal(
            NOT_ENDED.format(end=window.end.strftime("%Y-%m-%d %H:%M:%S")),
            wait=(window.end - now).total_seconds(),
        )
