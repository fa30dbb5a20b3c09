"""Refusing a name that does not exist (a key's, a feed's), in one form for every command.

A typo must not read as an empty answer: ``pull_log --key nosuch`` printing a header
alone looks like "no pulls". Each kind of name has one function that knows which names
exist (``access/key_names.py``, ``feeds/feed_names.py``, ``operations/log_names.py``);
each calls ``known_name``, which refuses any other with the option, the name, the
nearest known one and the names that do exist.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection

from django.core.management.base import CommandError

# Beyond this many, the message lists the first ones and says how many there are.
LISTED = 20


def known_name(
    value: str, *, exists: Callable[[str], bool], known: Callable[[], Collection[str]], option: str | None, what: str
) -> str:
    """``value`` if ``exists(value)``; else a CommandError naming ``option`` (None for an
    argument that is not an option), the name, the nearest of ``known()`` and the list.
    ``exists`` is asked first, so that the whole list is read only to refuse."""
    if exists(value):
        return value
    names = known()
    # A set is listed sorted; a sequence as given (the feeds in the registry's order).
    listed = sorted(names) if isinstance(names, (set, frozenset)) else list(names)
    raise CommandError(unknown_name_message(value, listed, option=option, what=what))


def unknown_name_message(value: str, known: list[str], *, option: str | None, what: str) -> str:
    """``--key: no key name 'intraget'; did you mean 'InTarget'? The key names: InTarget, demo``"""
    message = (f"{option}: " if option else "") + f"no {what} {value!r}"
    if not known:
        return f"{message}; there is none yet"
    nearest = nearest_name(value, known)
    listed = ", ".join(known[:LISTED]) + (f", … ({len(known)} in all)" if len(known) > LISTED else "")
    if nearest is not None:
        return f"{message}; did you mean {nearest!r}? The {what}s: {listed}"
    return f"{message}; the {what}s: {listed}"


def nearest_name(value: str, known: list[str]) -> str | None:
    """The known name most like ``value``, whatever the case (``intarget`` finds ``InTarget``)."""
    by_folded = {name.casefold(): name for name in known}
    close = difflib.get_close_matches(value.casefold(), list(by_folded), n=1)
    return by_folded[close[0]] if close else None
