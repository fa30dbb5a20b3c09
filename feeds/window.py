"""The window ``[from, to)`` of a feed request, parsed once for the API and the CLI."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rest_framework.exceptions import ValidationError

from feeds.columns import TIMESTAMP_FORM, parse_timestamp

EXPECTED = (
    f"a UTC timestamp {TIMESTAMP_FORM} (space, + or T between date and time; Z or +00:00 may end it),"
    " e.g. 2020-10-10+07:00:00"
)
MISSING = "{param} is required: " + EXPECTED
UNPARSABLE = "{param} must be " + EXPECTED + "; got {value!r}"
NOT_UTC = "{param} must be in UTC (no offset, or Z or +00:00): " + EXPECTED + "; got {value!r}"
FRACTION = (
    "{param} must be a whole second, " + EXPECTED + "; got {value!r}: a window bound with a fraction"
    " of a second would not tile with its neighbours"
)
# A bound as ISO 8601 tools write it: the API's own form, or with UTC spelled out (Z,
# +00:00, or " 00:00": the + of an offset left unencoded in a query string arrives as a
# space). Any other offset, and any fraction, is recognised only to be refused by name.
_BOUND_RE = re.compile(
    r"(?P<stamp>\d{4}-\d{2}-\d{2}[ T+]\d{2}:\d{2}:\d{2})(?P<fraction>[.,]\d+)?"
    r"(?P<offset>Z|[+ -]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
_UTC_OFFSETS = {"z", "+00:00", " 00:00", "+0000", " 0000"}
HALF_GIVEN = "from and to go together: give both, or neither to get every row"
INVERTED = "from must not be later than to (both UTC timestamps " + TIMESTAMP_FORM + "); got from={start} and to={end}"


@dataclass(frozen=True)
class Window:
    """``start <= t < end``; ``None`` on both sides means every row (optional-window feeds)."""

    start: dt.datetime | None
    end: dt.datetime | None

    @property
    def is_empty(self) -> bool:
        return self.start is not None and self.start == self.end


def parse_window(
    params: Mapping[str, str],
    *,
    optional: bool = False,
    bound: Callable[[str, str], dt.datetime] | None = None,
) -> Window:
    """Parse ``from`` and ``to``; raise ValidationError keyed by the offending parameter.

    ``bound`` parses each bound given, ``parse_bound`` unless a caller takes more forms
    (``export_feed``: a date alone, ``now``; feeds/command_times.py); which bounds are
    required and their order are decided here for both."""
    raw = {param: (params.get(param) or "").strip() for param in ("from", "to")}
    if optional and not raw["from"] and not raw["to"]:
        return Window(None, None)
    bounds: dict[str, dt.datetime] = {}
    for param, value in raw.items():
        if not value:
            message = HALF_GIVEN if optional else MISSING.format(param=param)
            raise ValidationError({param: [message]})
        bounds[param] = (bound or parse_bound)(param, value)
    if bounds["from"] > bounds["to"]:
        raise ValidationError({"from": [INVERTED.format(start=raw["from"], end=raw["to"])]})
    return Window(bounds["from"], bounds["to"])


def parse_bound(param: str, value: str) -> dt.datetime:
    """One bound: ``YYYY-MM-DD HH:MM:SS`` in UTC, optionally ending in Z or +00:00."""
    match = _BOUND_RE.fullmatch(value)
    if match is None:
        raise ValidationError({param: [UNPARSABLE.format(param=param, value=value)]})
    if match["offset"] and match["offset"].lower() not in _UTC_OFFSETS:
        raise ValidationError({param: [NOT_UTC.format(param=param, value=value)]})
    if match["fraction"]:
        raise ValidationError({param: [FRACTION.format(param=param, value=value)]})
    try:
        return parse_timestamp(match["stamp"])
    except ValueError:  # the right shape, but no such day or time (2020-13-01)
        raise ValidationError({param: [UNPARSABLE.format(param=param, value=value)]}) from None
