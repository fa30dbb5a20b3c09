"""``manage.py define_custom_field <name> <type>`` (feeds.md section 4, custom fields)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from players.feeds import USERS_COLUMNS
from players.models import CustomField
from tests.support.api import get
from tests.support.factories import PlayerFactory, at

pytestmark = pytest.mark.django_db

USERS_HEADER = (
    "id,first_name,last_name,gender,country,city,ip,birthday,registered_at,ref_code,traffic_source,"
    "user_agent,modified_at,is_blocked,self_excluded,locale"
)


def define(name: str, type: str) -> str:
    out = io.StringIO()
    call_command("define_custom_field", name, type, stdout=out)
    return out.getvalue()


def served(client, **params) -> bytes:
    return get(client, "users", **params)


@pytest.mark.parametrize("type", ["integer", "decimal", "string", "datetime"])
def test_a_field_of_each_type_can_be_defined(type):
    output = define("my_field", type)
    assert list(CustomField.objects.values_list("name", "type")) == [("my_field", type)]
    assert "my_field" in output


def test_a_new_field_is_a_new_column_of_users_after_the_standard_ones(client_with_key):
    PlayerFactory(id="u1", modified_at=at("2020-10-10 07:10:00"))
    assert served(client_with_key).split(b"\n")[0] == USERS_HEADER.encode()
    define("vip_level", "integer")
    define("ltv", "decimal")
    define("nickname", "string")
    define("last_deposit_at", "datetime")
    lines = served(client_with_key).split(b"\n")
    assert lines[0] == f"{USERS_HEADER},vip_level,ltv,nickname,last_deposit_at".encode()
    # A player without values has empty fields in the new columns.
    assert lines[1].startswith(b"u1,") and lines[1].endswith(b",,,,")


def test_the_new_columns_carry_the_players_values_in_csv_and_json(client_with_key):
    define("vip_level", "integer")
    define("ltv", "decimal")
    define("nickname", "string")
    define("last_deposit_at", "datetime")
    PlayerFactory(
        id="u1",
        modified_at=at("2020-10-10 07:10:00"),
        custom={"vip_level": "3", "ltv": "12.50", "nickname": "ann, the 1st", "last_deposit_at": "2020-10-09 12:00:00"},
    )
    csv_line = served(client_with_key).split(b"\n")[1]
    assert csv_line.endswith(b',3,12.50,"ann, the 1st",2020-10-09 12:00:00')
    row = json.loads(served(client_with_key, format="json"))[0]
    assert list(row)[-4:] == ["vip_level", "ltv", "nickname", "last_deposit_at"]
    assert (row["vip_level"], row["ltv"], row["nickname"], row["last_deposit_at"]) == (3, 12.5, "ann, the 1st", "2020-10-09 12:00:00")


def test_json_writes_a_decimal_field_with_two_decimal_places(client_with_key):
    define("ltv", "decimal")
    PlayerFactory(id="u1", modified_at=at("2020-10-10 07:10:00"), custom={"ltv": "12.50"})
    assert served(client_with_key, format="json").endswith(b',"ltv":12.50}]')


@pytest.mark.parametrize("name", ["city", "id", "modified_at", "registered_at", "is_blocked", "locale"])
def test_a_name_clashing_with_a_standard_users_column_is_refused(name, client_with_key):
    with pytest.raises(CommandError, match=name):
        define(name, "string")
    assert not CustomField.objects.exists()
    assert served(client_with_key).split(b"\n")[0] == USERS_HEADER.encode()


def test_every_standard_users_column_is_refused_as_a_name():
    for column in USERS_COLUMNS:
        with pytest.raises(CommandError):
            define(column.name, "integer")
    assert not CustomField.objects.exists()


@pytest.mark.parametrize(
    "name", ["1st_deposit", "has space", "with-dash", "dot.ted", "x" * 65, "ünïcode", "a,b", 'quo"te', "vip\n", "vip\r\n", " vip"]
)
def test_an_invalid_name_is_refused(name):
    with pytest.raises(CommandError):
        define(name, "string")
    assert not CustomField.objects.exists()


def test_an_empty_name_is_refused():
    with pytest.raises(CommandError):
        define("", "string")
    assert not CustomField.objects.exists()


@pytest.mark.parametrize("name", ["_private", "vip_level", "Level2", "x" * 64])
def test_letters_digits_and_underscores_are_valid_names(name):
    define(name, "string")
    assert list(CustomField.objects.values_list("name", flat=True)) == [name]


def test_a_duplicate_name_is_refused():
    define("vip_level", "integer")
    with pytest.raises(CommandError):
        define("vip_level", "string")
    assert list(CustomField.objects.values_list("name", "type")) == [("vip_level", "integer")]


@pytest.mark.parametrize("type", ["float", "boolean", "Integer", "date", ""])
def test_an_unknown_type_is_refused(type):
    with pytest.raises(CommandError):
        define("vip_level", type)
    assert not CustomField.objects.exists()


@pytest.mark.parametrize("name", ["ID", "Modified_At", "CITY"])
def test_a_name_differing_from_a_standard_column_only_by_case_is_refused(name):
    with pytest.raises(CommandError, match="clashes with the standard users column"):
        define(name, "string")
    assert not CustomField.objects.exists()


def test_a_name_differing_from_another_custom_field_only_by_case_is_refused():
    define("vip_level", "integer")
    with pytest.raises(CommandError, match="clashes with the custom field 'vip_level'"):
        define("VIP_Level", "integer")
    assert list(CustomField.objects.values_list("name", flat=True)) == ["vip_level"]
