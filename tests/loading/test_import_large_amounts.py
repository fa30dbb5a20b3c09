"""Amounts of up to 30 digits are read and written exactly (found by tests/feeds/test_properties_columns.py).

Python's default decimal context holds 28 digits: a custom decimal field of 27 integer
digits made ``quantize`` raise InvalidOperation, a traceback out of ``import_feed``, and
``normalize`` rounded a 29-digit amount to 1E+20 when written by Python.
"""

import pytest
from django.core.management import call_command

from feeds.columns import MONEY
from players.models import Player
from players.services import custom_field_define
from tests.support.api import get as served

pytestmark = pytest.mark.django_db


def test_a_custom_decimal_of_28_integer_digits_is_imported_and_served_exactly(tmp_path, client_with_key):
    custom_field_define(name="ltv", type="decimal")
    path = tmp_path / "users.csv"
    path.write_text(
        "id,registered_at,modified_at,ltv\n"
        "u1,2020-01-01 00:00:00,2020-10-10 07:00:00,1234567890123456789012345678.5\n"
        "u2,2020-01-01 00:00:00,2020-10-10 07:00:01,-0.01\n"
    )
    call_command("import_feed", "users", str(path), "--preserve-timestamps", stdout=open("/dev/null", "w"))
    assert Player.objects.get(id="u1").custom == {"ltv": "1234567890123456789012345678.50"}
    body = served(client_with_key, "users")
    assert b",1234567890123456789012345678.50\n" in body and b",-0.01\n" in body


@pytest.mark.parametrize("text", ["100000000000000000000.00000001", "-9999999999999999999999.99999999", "0.00000001"])
def test_an_amount_of_30_digits_is_written_with_every_digit(text):
    assert MONEY.cell(MONEY.parse(text)) == text
