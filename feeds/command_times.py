"""A time given to a command: ``export_feed --from/--to``, ``pull_log --since``,
``create_api_key --expires``, ``prune_pull_log --before``. Parsed here, once.

Each takes a UTC time as the API takes a window's bound (``parse_bound`` of window.py:
``YYYY-MM-DD HH:MM:SS``, a ``T`` or ``+`` between date and time, ``Z`` or ``+00:00`` at
the end, no fraction), or a date alone, which means its midnight UTC. ``now`` is taken
only where the command says what it means (``export_feed --to now``: the latest second
a window can end at; ``prune_pull_log --before now``). A value in no such form is
refused with the option's name and the forms it takes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.core.management.base import CommandError
from rest_framework.exceptions import ValidationError

from feeds.columns import DATE_FORM, TIMESTAMP_FORM
from feeds.window import UNPARSABLE as WINDOW_UNPARSABLE
from feeds.window import parse_bound
from lib.error_detail import first_message

FORMS = f"a UTC time {TIMESTAMP_FORM} or a date {DATE_FORM} (its midnight UTC)"
NOW = "now"
UNPARSABLE = "{option}: expected {forms}; got {value!r}"
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def command_time(option: str, value: str, *, now: Callable[[], dt.datetime] | None = None) -> dt.datetime:
    """``value`` as a UTC time; ``now`` (given) answers the word ``now``. CommandError
    naming ``option`` and the forms it takes otherwise."""
    text = value.strip()
    if now is not None and text.casefold() == NOW:
        return now()
    unparsable = CommandError(UNPARSABLE.format(option=option, forms=forms(now_allowed=now is not None), value=value))
    if _DATE_RE.fullmatch(text):
        try:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=dt.timezone.utc)
        except ValueError:  # no such day (2026-02-30)
            raise unparsable from None
    try:
        return parse_bound(option, text)
    except ValidationError as error:
        message = first_message(error.detail)
        # A time with a fraction or an offset other than UTC: the window's own words say
        # why (its bounds tile; everything is UTC). Anything else: the forms taken here.
        if message == WINDOW_UNPARSABLE.format(param=option, value=text):
            raise unparsable from None
        raise CommandError(message) from None


def forms(*, now_allowed: bool = False) -> str:
    """The forms an option takes, for its help and its errors."""
    return f"{FORMS}, or {NOW}" if now_allowed else FORMS
