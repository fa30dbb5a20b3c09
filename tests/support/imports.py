"""Importing a file that must be refused, shared by the import test modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payments.models import Transaction


def refused_import(path: Path, data: str | bytes) -> str:
    """Write ``data`` to ``path`` and import it as transactions: the CommandError's message,
    once it is certain that no row of the file was kept."""
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    with pytest.raises(CommandError) as excinfo:
        call_command("import_feed", "transactions", str(path))
    assert not Transaction.objects.exists()
    return str(excinfo.value)
