"""The players feeds: users (custom fields included), contacts, logins (feeds.md 2 and 4)."""

import datetime as dt
import json

import pytest

from players.services import custom_field_define, player_set_custom_values
from tests.support.api import get, ids
from tests.support.clock import closed_window, stamping_span
from tests.support.factories import ContactFactory, CustomFieldFactory, LoginFactory, PlayerFactory, at

pytestmark = pytest.mark.django_db


USERS_HEADER = (
    b"id,first_name,last_name,gender,country,city,ip,birthday,registered_at,ref_code,"
    b"traffic_source,user_agent,modified_at,is_blocked,self_excluded,locale"
)
CONTACTS_HEADER = (
    b"player_id,email,email_confirmed_at,email_subscribe,phone,phone_subscribe,"
    b"phone_confirmed_at,push_token,created_at,modified_at"
)
LOGINS_HEADER = b"id,player_id,ip,created_at,ref_code,traffic_source,user_agent,host,is_success,fail_reason"


def player(**values):
    """A player with every standard column given, so that expected bytes are literal."""
    defaults = dict(
        id="p1",
        first_name="Ana",
        last_name="Lopez",
        gender="female",
        country="ES",
        city="Madrid",
        ip="10.0.0.7",
        birthday=dt.date(1990, 2, 3),
        registered_at=at("2020-09-10 06:05:04"),
        ref_code="aff-1",
        traffic_source="google",
        user_agent="Mozilla/5.0",
        modified_at=at("2020-10-10 07:30:00"),
        is_blocked=False,
        self_excluded=False,
        locale="es",
    )
    return PlayerFactory(**{**defaults, **values})


# --- users ---------------------------------------------------------------------------


def test_users_csv_has_the_standard_header_and_every_column_of_a_player(client_with_key):
    player(last_name="Lopez, Jr.", locale="en_US")
    assert get(client_with_key, "users") == (
        USERS_HEADER + b"\n"
        b'p1,Ana,"Lopez, Jr.",female,ES,Madrid,10.0.0.7,1990-02-03,2020-09-10 06:05:04,aff-1,'
        b"google,Mozilla/5.0,2020-10-10 07:30:00,false,false,en_US\n"
    )


def test_users_json_has_the_keys_in_column_order_with_typed_values(client_with_key):
    player(is_blocked=True)
    assert get(client_with_key, "users", format="json") == (
        b'[{"id":"p1","first_name":"Ana","last_name":"Lopez","gender":"female","country":"ES",'
        b'"city":"Madrid","ip":"10.0.0.7","birthday":"1990-02-03","registered_at":"2020-09-10 06:05:04",'
        b'"ref_code":"aff-1","traffic_source":"google","user_agent":"Mozilla/5.0",'
        b'"modified_at":"2020-10-10 07:30:00","is_blocked":true,"self_excluded":false,"locale":"es"}]'
    )


@pytest.mark.parametrize(
    ("is_blocked", "self_excluded", "csv_cells", "json_values"),
    [
        (True, False, b"true,false", (True, False)),
        (False, True, b"false,true", (False, True)),
        (True, True, b"true,true", (True, True)),
        (False, False, b"false,false", (False, False)),
    ],
)
def test_users_flags_are_true_false_in_csv_and_json_booleans(
    client_with_key, is_blocked, self_excluded, csv_cells, json_values
):
    player(is_blocked=is_blocked, self_excluded=self_excluded)
    assert get(client_with_key, "users").endswith(b",2020-10-10 07:30:00," + csv_cells + b",es\n")
    row = json.loads(get(client_with_key, "users", format="json"))[0]
    assert (row["is_blocked"], row["self_excluded"]) == json_values
    assert type(row["is_blocked"]) is bool and type(row["self_excluded"]) is bool


def test_users_birthday_is_a_plain_date(client_with_key):
    player(birthday=dt.date(2001, 12, 9))
    body = get(client_with_key, "users")
    assert b",2001-12-09,2020-09-10 06:05:04," in body
    assert json.loads(get(client_with_key, "users", format="json"))[0]["birthday"] == "2001-12-09"


def test_users_absent_optional_values_are_empty_in_csv_and_null_in_json(client_with_key):
    PlayerFactory(
        id="bare",
        first_name=None,
        last_name=None,
        gender=None,
        country=None,
        city=None,
        ip=None,
        birthday=None,
        registered_at=at("2020-10-10 07:05:00"),
        ref_code=None,
        traffic_source=None,
        user_agent=None,
        modified_at=at("2020-10-10 07:05:00"),
        is_blocked=None,
        self_excluded=None,
        locale=None,
    )
    assert get(client_with_key, "users") == (
        USERS_HEADER + b"\nbare,,,,,,,,2020-10-10 07:05:00,,,,2020-10-10 07:05:00,,,\n"
    )
    assert get(client_with_key, "users", format="json") == (
        b'[{"id":"bare","first_name":null,"last_name":null,"gender":null,"country":null,"city":null,'
        b'"ip":null,"birthday":null,"registered_at":"2020-10-10 07:05:00","ref_code":null,'
        b'"traffic_source":null,"user_agent":null,"modified_at":"2020-10-10 07:05:00",'
        b'"is_blocked":null,"self_excluded":null,"locale":null}]'
    )


def test_users_window_is_modified_at_not_registered_at(client_with_key):
    player(id="registered-inside", registered_at=at("2020-10-10 07:10:00"), modified_at=at("2020-10-10 08:00:00"))
    player(id="at-from", registered_at=at("2019-01-01 00:00:00"), modified_at=at("2020-10-10 07:00:00"))
    player(id="before", modified_at=at("2020-10-10 06:59:59.999999"))
    player(id="last", modified_at=at("2020-10-10 07:59:59.999999"))
    assert ids(get(client_with_key, "users")) == ["at-from", "last"]


def test_users_are_ordered_by_modified_at_then_id(client_with_key):
    player(id="b", modified_at=at("2020-10-10 07:10:00.7"))
    player(id="c", modified_at=at("2020-10-10 07:10:00.2"))
    player(id="a", modified_at=at("2020-10-10 07:10:00.7"))
    player(id="0", modified_at=at("2020-10-10 07:20:00"))
    assert ids(get(client_with_key, "users")) == ["c", "a", "b", "0"]


# --- users: custom fields ----------------------------------------------------------------


@pytest.fixture
def custom_fields(db):
    """One field of each type, defined in a deliberately non-alphabetical order."""
    CustomFieldFactory(name="vip_level", type="integer")
    CustomFieldFactory(name="deposit_limit", type="decimal")
    CustomFieldFactory(name="nickname", type="string")
    CustomFieldFactory(name="kyc_checked_at", type="datetime")


FULL_CUSTOM = {
    "vip_level": "42",
    "deposit_limit": "12.50",
    "nickname": "some text",
    "kyc_checked_at": "2020-10-10 07:00:00",
}


def test_custom_fields_are_extra_users_columns_after_the_standard_ones_in_definition_order(
    client_with_key, custom_fields
):
    player(id="p1", custom=FULL_CUSTOM)
    player(id="p2", modified_at=at("2020-10-10 07:40:00"), custom={})
    assert get(client_with_key, "users") == (
        USERS_HEADER + b",vip_level,deposit_limit,nickname,kyc_checked_at\n"
        b"p1,Ana,Lopez,female,ES,Madrid,10.0.0.7,1990-02-03,2020-09-10 06:05:04,aff-1,google,"
        b"Mozilla/5.0,2020-10-10 07:30:00,false,false,es,42,12.50,some text,2020-10-10 07:00:00\n"
        b"p2,Ana,Lopez,female,ES,Madrid,10.0.0.7,1990-02-03,2020-09-10 06:05:04,aff-1,google,"
        b"Mozilla/5.0,2020-10-10 07:40:00,false,false,es,,,,\n"
    )


def test_custom_fields_in_json_are_numbers_for_integer_and_decimal_strings_otherwise(
    client_with_key, custom_fields
):
    player(id="p1", custom=FULL_CUSTOM)
    player(id="p2", modified_at=at("2020-10-10 07:40:00"), custom={})
    body = get(client_with_key, "users", format="json")
    assert body == (
        b'[{"id":"p1","first_name":"Ana","last_name":"Lopez","gender":"female","country":"ES",'
        b'"city":"Madrid","ip":"10.0.0.7","birthday":"1990-02-03","registered_at":"2020-09-10 06:05:04",'
        b'"ref_code":"aff-1","traffic_source":"google","user_agent":"Mozilla/5.0",'
        b'"modified_at":"2020-10-10 07:30:00","is_blocked":false,"self_excluded":false,"locale":"es",'
        b'"vip_level":42,"deposit_limit":12.50,"nickname":"some text","kyc_checked_at":"2020-10-10 07:00:00"},\n'
        b'{"id":"p2","first_name":"Ana","last_name":"Lopez","gender":"female","country":"ES",'
        b'"city":"Madrid","ip":"10.0.0.7","birthday":"1990-02-03","registered_at":"2020-09-10 06:05:04",'
        b'"ref_code":"aff-1","traffic_source":"google","user_agent":"Mozilla/5.0",'
        b'"modified_at":"2020-10-10 07:40:00","is_blocked":false,"self_excluded":false,"locale":"es",'
        b'"vip_level":null,"deposit_limit":null,"nickname":null,"kyc_checked_at":null}]'
    )
    first = json.loads(body)[0]
    assert type(first["vip_level"]) is int and type(first["deposit_limit"]) is float


def test_custom_decimal_keeps_exactly_two_decimal_places(client_with_key):
    CustomFieldFactory(name="limit", type="decimal")
    player(id="round", custom={"limit": "3.00"})
    player(id="tenth", modified_at=at("2020-10-10 07:31:00"), custom={"limit": "0.10"})
    player(id="big", modified_at=at("2020-10-10 07:32:00"), custom={"limit": "1234567.89"})
    body = get(client_with_key, "users")
    assert body.split(b"\n")[0].endswith(b",locale,limit")
    assert [line.rsplit(b",", 1)[1] for line in body.split(b"\n")[1:-1]] == [b"3.00", b"0.10", b"1234567.89"]
    assert b'"limit":3.00}' in get(client_with_key, "users", format="json")


def test_custom_string_is_quoted_in_csv_when_it_needs_to_be(client_with_key):
    CustomFieldFactory(name="nickname", type="string")
    player(custom={"nickname": 'Big "Al", the 2nd'})
    body = get(client_with_key, "users")
    assert body.endswith(b',es,"Big ""Al"", the 2nd"\n')
    assert json.loads(get(client_with_key, "users", format="json"))[0]["nickname"] == 'Big "Al", the 2nd'


def test_a_field_defined_later_comes_after_earlier_ones_whatever_its_name(client_with_key):
    custom_field_define(name="zeta", type="string")
    custom_field_define(name="alpha", type="integer")
    player(custom={"alpha": "1", "zeta": "z"})
    body = get(client_with_key, "users")
    assert body.split(b"\n")[0] == USERS_HEADER + b",zeta,alpha"
    assert body.split(b"\n")[1].endswith(b",es,z,1")
    assert list(json.loads(get(client_with_key, "users", format="json"))[0])[-3:] == ["locale", "zeta", "alpha"]


def test_setting_a_custom_value_moves_modified_at_forward(client_with_key, custom_fields):
    subject = player(id="p1", modified_at=at("2020-10-10 07:30:00"), custom={"vip_level": "1"})
    with stamping_span() as change:
        player_set_custom_values(player=subject, values={"vip_level": "2"})
    subject.refresh_from_db()
    assert subject.modified_at in change
    assert subject.custom == {"vip_level": "2"}
    # The change left the window it was in, and is served by the window it happened in.
    assert ids(get(client_with_key, "users")) == []
    later = get(client_with_key, "users", **closed_window(change))
    stamp = subject.modified_at.strftime("%Y-%m-%d %H:%M:%S").encode()
    assert later.split(b"\n")[1].endswith(b"," + stamp + b",false,false,es,2,,,")


def test_clearing_a_custom_value_moves_modified_at_forward_and_serves_it_empty(client_with_key, custom_fields):
    subject = player(id="p1", custom={"vip_level": "1", "nickname": "x"})
    with stamping_span() as change:
        player_set_custom_values(player=subject, values={"nickname": None})
    subject.refresh_from_db()
    assert subject.modified_at in change
    later = get(client_with_key, "users", **closed_window(change))
    assert later.split(b"\n")[1].endswith(b",es,1,,,")


def test_setting_a_custom_value_never_moves_modified_at_back(custom_fields):
    # Stamped later than the clock (a backfill, or a clock that stepped back).
    subject = player(id="p1", modified_at=at("2099-10-10 09:00:00"))
    player_set_custom_values(player=subject, values={"vip_level": "2"})
    subject.refresh_from_db()
    assert subject.modified_at == at("2099-10-10 09:00:00")


# --- contacts ------------------------------------------------------------------------


def contact(player_id="p1", **values):
    defaults = dict(
        player=PlayerFactory(id=player_id, modified_at=at("2020-10-01 00:00:00")),
        email="ana@example.com",
        email_confirmed_at=at("2020-10-09 12:00:00"),
        email_subscribe=True,
        phone="+35799000001",
        phone_subscribe=False,
        phone_confirmed_at=at("2020-10-09 12:30:00"),
        push_token="tok-1",
        created_at=at("2020-10-01 00:00:00"),
        modified_at=at("2020-10-10 07:30:00"),
    )
    return ContactFactory(**{**defaults, **values})


def test_contacts_csv_has_the_header_and_every_column(client_with_key):
    contact()
    assert get(client_with_key, "contacts") == (
        CONTACTS_HEADER + b"\n"
        b"p1,ana@example.com,2020-10-09 12:00:00,true,+35799000001,false,2020-10-09 12:30:00,"
        b"tok-1,2020-10-01 00:00:00,2020-10-10 07:30:00\n"
    )


def test_contacts_json_keys_start_with_player_id_and_flags_are_booleans(client_with_key):
    contact(email_subscribe=False, phone_subscribe=True)
    body = get(client_with_key, "contacts", format="json")
    assert body == (
        b'[{"player_id":"p1","email":"ana@example.com","email_confirmed_at":"2020-10-09 12:00:00",'
        b'"email_subscribe":false,"phone":"+35799000001","phone_subscribe":true,'
        b'"phone_confirmed_at":"2020-10-09 12:30:00","push_token":"tok-1",'
        b'"created_at":"2020-10-01 00:00:00","modified_at":"2020-10-10 07:30:00"}]'
    )
    assert "id" not in json.loads(body)[0]


def test_contacts_absent_optional_values_are_empty_in_csv_and_null_in_json(client_with_key):
    contact(
        email=None,
        email_confirmed_at=None,
        email_subscribe=None,
        phone=None,
        phone_subscribe=None,
        phone_confirmed_at=None,
        push_token=None,
    )
    assert get(client_with_key, "contacts") == (
        CONTACTS_HEADER + b"\np1,,,,,,,,2020-10-01 00:00:00,2020-10-10 07:30:00\n"
    )
    assert get(client_with_key, "contacts", format="json") == (
        b'[{"player_id":"p1","email":null,"email_confirmed_at":null,"email_subscribe":null,'
        b'"phone":null,"phone_subscribe":null,"phone_confirmed_at":null,"push_token":null,'
        b'"created_at":"2020-10-01 00:00:00","modified_at":"2020-10-10 07:30:00"}]'
    )


def test_contacts_window_is_the_contacts_own_modified_at(client_with_key):
    # The players themselves are all modified long before the window.
    contact("at-from", modified_at=at("2020-10-10 07:00:00"))
    contact("at-to", modified_at=at("2020-10-10 08:00:00"))
    contact("before", modified_at=at("2020-10-10 06:59:59.999999"))
    contact("last", modified_at=at("2020-10-10 07:59:59.999999"))
    assert ids(get(client_with_key, "contacts")) == ["at-from", "last"]


def test_contacts_are_ordered_by_modified_at_then_player_id(client_with_key):
    contact("b", modified_at=at("2020-10-10 07:10:00.7"))
    contact("c", modified_at=at("2020-10-10 07:10:00.2"))
    contact("a", modified_at=at("2020-10-10 07:10:00.7"))
    contact("0", modified_at=at("2020-10-10 07:20:00"))
    assert ids(get(client_with_key, "contacts")) == ["c", "a", "b", "0"]
    assert [row["player_id"] for row in json.loads(get(client_with_key, "contacts", format="json"))] == [
        "c",
        "a",
        "b",
        "0",
    ]


# --- logins --------------------------------------------------------------------------


def login(**values):
    defaults = dict(
        id="l1",
        player_id="p1",
        ip="10.0.0.7",
        created_at=at("2020-10-10 07:30:00"),
        ref_code="aff-1",
        traffic_source="google",
        user_agent="Mozilla/5.0",
        host="mirror1.casino.example",
        is_success=True,
        fail_reason=None,
    )
    return LoginFactory(**{**defaults, **values})


def test_logins_csv_has_the_header_and_a_successful_login_writes_1_and_no_reason(client_with_key):
    login()
    assert get(client_with_key, "logins") == (
        LOGINS_HEADER + b"\n"
        b"l1,p1,10.0.0.7,2020-10-10 07:30:00,aff-1,google,Mozilla/5.0,mirror1.casino.example,1,\n"
    )


def test_logins_failed_login_writes_0_and_its_reason(client_with_key):
    login(is_success=False, fail_reason="wrong password")
    assert get(client_with_key, "logins") == (
        LOGINS_HEADER + b"\n"
        b"l1,p1,10.0.0.7,2020-10-10 07:30:00,aff-1,google,Mozilla/5.0,mirror1.casino.example,0,wrong password\n"
    )


def test_logins_json_keys_in_order_and_is_success_as_numbers_1_and_0(client_with_key):
    login(id="ok")
    login(id="ko", created_at=at("2020-10-10 07:31:00"), is_success=False, fail_reason="blocked")
    body = get(client_with_key, "logins", format="json")
    assert body == (
        b'[{"id":"ok","player_id":"p1","ip":"10.0.0.7","created_at":"2020-10-10 07:30:00",'
        b'"ref_code":"aff-1","traffic_source":"google","user_agent":"Mozilla/5.0",'
        b'"host":"mirror1.casino.example","is_success":1,"fail_reason":null},\n'
        b'{"id":"ko","player_id":"p1","ip":"10.0.0.7","created_at":"2020-10-10 07:31:00",'
        b'"ref_code":"aff-1","traffic_source":"google","user_agent":"Mozilla/5.0",'
        b'"host":"mirror1.casino.example","is_success":0,"fail_reason":"blocked"}]'
    )
    rows = json.loads(body)
    assert [type(row["is_success"]) for row in rows] == [int, int]


def test_logins_absent_optional_values_are_empty_in_csv_and_null_in_json(client_with_key):
    login(ip=None, ref_code=None, traffic_source=None, user_agent=None, host=None, is_success=None)
    assert get(client_with_key, "logins") == LOGINS_HEADER + b"\nl1,p1,,2020-10-10 07:30:00,,,,,,\n"
    assert get(client_with_key, "logins", format="json") == (
        b'[{"id":"l1","player_id":"p1","ip":null,"created_at":"2020-10-10 07:30:00","ref_code":null,'
        b'"traffic_source":null,"user_agent":null,"host":null,"is_success":null,"fail_reason":null}]'
    )


def test_logins_window_is_created_at(client_with_key):
    login(id="before", created_at=at("2020-10-10 06:59:59.999999"))
    login(id="at-from", created_at=at("2020-10-10 07:00:00"))
    login(id="last", created_at=at("2020-10-10 07:59:59.999999"))
    login(id="at-to", created_at=at("2020-10-10 08:00:00"))
    assert ids(get(client_with_key, "logins")) == ["at-from", "last"]
    assert ids(get(client_with_key, "logins", **{"from": "2020-10-10 08:00:00", "to": "2020-10-10 09:00:00"})) == [
        "at-to"
    ]


def test_logins_are_ordered_by_created_at_then_id(client_with_key):
    login(id="b", created_at=at("2020-10-10 07:10:00.7"))
    login(id="c", created_at=at("2020-10-10 07:10:00.2"))
    login(id="a", created_at=at("2020-10-10 07:10:00.7"))
    login(id="0", created_at=at("2020-10-10 07:20:00"))
    assert ids(get(client_with_key, "logins")) == ["c", "a", "b", "0"]
