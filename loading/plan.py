"""How an import reads each column of a feed: worked out once, used for every record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


class ColumnPlan(NamedTuple):
    """How the cells of one column are read (None in its place: a column not read at all,
    the window timestamp the service stamps)."""

    parse: Callable[[str], Any] | None  # the kind's parse; None: free text, taken as it is (but for NUL)
    target: str  # the model field it sets, or the custom field's name
    required: bool
    custom: bool  # a custom player field: merged into the stored custom values
    must_be_past: bool  # a kept window timestamp (--preserve-timestamps): none may be in the future
