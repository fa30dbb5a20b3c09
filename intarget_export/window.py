"""The window ``[from, to)`` of a feed request, parsed once for the API and the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from rest_framework.exceptions import ValidationError

from intarget_export.columns import TIMESTAMP_FORM, parse_timestamp

EXPECTED = f"a UTC timestamp {TIMESTAMP_FORM} (space, + or T between date and time), e.g. 2020-10-10+07:00:00"
MISSING = "{param} is required: " + EXPECTED
UNPARSABLE = "{param} must be " + EXPECTED + "; got {value!r}"
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


def parse_window(params: Mapping[str, str], *, optional: bool = False) -> Window:
    """Parse ``from`` and ``to``; raise ValidationError keyed by the offending parameter."""
    raw = {param: (params.get(param) or "").strip() for param in ("from", "to")}
    if optional and not raw["from"] and not raw["to"]:
        return Window(None, None)
    bounds: dict[str, dt.datetime] = {}
    for param, value in raw.items():
        if not value:
            message = HALF_GIVEN if optional else MISSING.format(param=param)
            raise ValidationError({param: [message]})
        try:
            bounds[param] = parse_timestamp(value)
        except ValueError:
            raise ValidationError({param: [UNPARSABLE.format(param=param, value=value)]}) from None
    if bounds["from"] > bounds["to"]:
        raise ValidationError({"from": [INVERTED.format(start=raw["from"], end=raw["to"])]})
    return Window(bounds["from"], bounds["to"])
