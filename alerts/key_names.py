"""The key names the alerts' commands take (``expect_pulls --off``, ``pull_status --key``):
an API key's, active or revoked, or one an expectation holds, though no key has it any
more (its keys renamed or deleted: it can still be listed and removed). Anything else is
refused, naming the nearest known name (``lib/known_names.py``)."""

from __future__ import annotations

from access.key_names import api_key_names
from access.models import ApiKey
from alerts.models import Expectation
from lib.known_names import known_name


def expected_key_names() -> set[str]:
    return api_key_names() | set(Expectation.objects.order_by().values_list("key_name", flat=True).distinct())


def expected_key_name(value: str, *, option: str | None) -> str:
    """``value`` if a key of that name exists or an expectation has it; else CommandError."""
    return known_name(
        value,
        exists=lambda name: ApiKey.objects.filter(name=name).exists() or Expectation.objects.filter(key_name=name).exists(),
        known=expected_key_names,
        option=option,
        what="key name",
    )
