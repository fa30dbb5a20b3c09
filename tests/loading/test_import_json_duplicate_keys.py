"""A key given twice in one JSON object is refused (issue 7: the later value was silently kept).

``json.loads`` keeps the last of two equal keys; an export with a doubled key is a bug
in whatever wrote it, and either value may be the right one, so the file is refused
naming the key and the line it appears on the second time.
"""

import pytest
from django.core.management import call_command

from payments.models import Transaction
from tests.support.imports import refused_import

pytestmark = pytest.mark.django_db


def test_a_duplicate_key_is_refused_naming_it_and_its_line(tmp_path):
    message = refused_import(
        tmp_path / "t.json",
        '[\n{"id": "t1", "player_id": "p1", "amount": 1, "currency": "EUR", "dir": "IN", "created_at": "2020-10-10 07:00:00"},\n'
        '{"id": "t2", "player_id": "p1", "amount": 1,\n "currency": "EUR", "dir": "IN",\n'
        ' "amount": 1000000, "created_at": "2020-10-10 07:00:00"}\n]\n',
    )
    assert "line 5, column 'amount':" in message and "twice" in message, message


def test_a_key_spelled_with_an_escape_is_the_same_key(tmp_path):
    message = refused_import(
        tmp_path / "t.json",
        '[{"id": "t1", "player_id": "p1", "amount": 1, "currency": "EUR", "dir": "IN", '
        '"created_at": "2020-10-10 07:00:00", "\\u0064ir": "OUT"}]',
    )
    assert "line 1, column 'dir':" in message and "twice" in message, message


def test_the_same_key_in_two_objects_is_fine(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(
        '[{"id": "t1", "player_id": "p1", "amount": 1, "currency": "EUR", "dir": "IN", "created_at": "2020-10-10 07:00:00"},'
        ' {"id": "t2", "player_id": "p1", "amount": 2, "currency": "EUR", "dir": "IN", "created_at": "2020-10-10 07:00:00"}]'
    )
    call_command("import_feed", "transactions", str(path), stdout=open("/dev/null", "w"))
    assert sorted(Transaction.objects.values_list("id", flat=True)) == ["t1", "t2"]
