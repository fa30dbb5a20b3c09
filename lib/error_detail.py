"""The first message of an error's detail, however DRF nested it (a list, a dict by
parameter, or a string): what a JSON error body and a command's error line both show."""

from __future__ import annotations

from typing import Any


def first_message(detail: Any) -> str:
    while isinstance(detail, (list, tuple)) and detail:
        detail = detail[0]
    if isinstance(detail, dict):
        return first_message(next(iter(detail.values()), ""))
    return str(detail)
