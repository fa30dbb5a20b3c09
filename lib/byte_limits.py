"""Settings that bound a size in bytes (PUSH_MAX_BYTES, SPOOL_MAX_BYTES): one check, one
message, so that a mistyped limit stops the service the same way whichever it is."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BAD_BYTES = "{name} must be a whole number of bytes, at least 1; got {value!r}"


def byte_limit(name: str) -> int:
    """The setting ``name``, checked: ImproperlyConfigured when it is not a whole number ≥ 1."""
    return _parsed(name, str(getattr(settings, name)).strip())


@cache
def _parsed(name: str, value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ImproperlyConfigured(BAD_BYTES.format(name=name, value=value))
    return int(value)
