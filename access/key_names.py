"""A key name given to a command: the name of an API key, active or revoked.

``revoke_api_key`` takes one (and then says whether any of that name is still active);
so will any command about the keys themselves. The pull log's commands accept more: the
names its entries were made under, though the key be deleted (``operations/log_names.py``).
"""

from __future__ import annotations

from access.models import ApiKey
from lib.known_names import known_name


def api_key_names() -> set[str]:
    """The name of every API key, active or revoked."""
    return set(ApiKey.objects.order_by().values_list("name", flat=True).distinct())


def api_key_name(value: str, *, option: str | None = None) -> str:
    """``value`` if an API key of that name exists, active or revoked; else CommandError."""
    return known_name(
        value,
        exists=lambda name: ApiKey.objects.filter(name=name).exists(),
        known=api_key_names,
        option=option,
        what="key name",
    )
