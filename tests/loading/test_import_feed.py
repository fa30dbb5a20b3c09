"""``manage.py import_feed`` (feeds.md section 5): upsert, stamping, all-or-nothing refusal."""

import io
import json
import re
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from games.models import GameAction
from payments.models import Transaction
from players.models import Contact, Player
from players.services import custom_field_define
from tests.support.api import get as served
from tests.support.clock import stamping_span
from tests.support.factories import ContactFactory, TransactionFactory, at

pytestmark = pytest.mark.django_db


# The required columns of transactions, but for the window timestamp the service stamps.
SHORT_HEADER = "id,player_id,amount,currency,dir,created_at"

TRANSACTIONS_HEADER = (
    "id,player_id,amount,currency,type,status,payment_system,dir,created_at,updated_at,"
    "invoice_id,wallet_id,user_agent,ip,requisite,comment"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def lines(tmp_path: Path, name: str, *records: str) -> Path:
    """A file of ``records``, one per line."""
    return write(tmp_path, name, "".join(f"{record}\n" for record in records))


def import_feed(feed: str, path: Path, *flags: str) -> str:
    out = io.StringIO()
    call_command("import_feed", feed, str(path), *flags, stdout=out)
    return out.getvalue()


def refused(feed: str, path: Path, *flags: str) -> str:
    """The CommandError message of a refused import, with the file's path blanked out."""
    with pytest.raises(CommandError) as excinfo:
        import_feed(feed, path, *flags)
    return str(excinfo.value).replace(str(path), "<file>")


def assert_names(message: str, *, line: int | tuple[int, ...], column: str | None = None) -> None:
    lines = line if isinstance(line, tuple) else (line,)
    assert re.search(rf"\bline ({'|'.join(map(str, lines))})\b", message), message
    if column is not None:
        assert re.search(rf"(?<![\w-]){re.escape(column)}(?![\w-])", message), message


# A fault of the CSV header is reported on the header line.
HEADER_LINES = (1,)


@pytest.fixture
def custom_fields(db):
    custom_field_define(name="vip_level", type="integer")
    custom_field_define(name="ltv", type="decimal")
    custom_field_define(name="nickname", type="string")
    custom_field_define(name="last_seen_at", type="datetime")


# --- users ---------------------------------------------------------------------------

USERS_HEADER = (
    "id,first_name,last_name,gender,country,city,ip,birthday,registered_at,ref_code,traffic_source,"
    "user_agent,modified_at,is_blocked,self_excluded,locale"
)


def test_users_csv_with_custom_field_columns_is_served_back_as_loaded(tmp_path, custom_fields, client_with_key):
    path = write(
        tmp_path,
        "users.csv",
        f"""
        {USERS_HEADER},vip_level,ltv,nickname,last_seen_at
        u1,Anna,"Smith, Jr.",female,CY,Limassol,10.0.0.1,1990-05-17,2020-01-02 03:04:05,aff-7,google,Mozilla/5.0,2020-10-10 07:10:00,false,true,en_US,3,12.5,ann,2020-10-09T12:00:00
        u2,Bob,,,,,,,2020-02-02 00:00:00,,,,2020-10-10 07:20:00,,,,-1,0,"b, b",2020-10-09 00:00:00.5
        """,
    )
    assert re.fullmatch(
        rf"users: 2 rows imported from {re.escape(str(path))} in [0-9.]+ s \([0-9]+ rows/s\)\n",
        import_feed("users", path, "--preserve-timestamps"),
    )
    assert served(client_with_key, "users") == (
        f"{USERS_HEADER},vip_level,ltv,nickname,last_seen_at\n".encode()
        + b'u1,Anna,"Smith, Jr.",female,CY,Limassol,10.0.0.1,1990-05-17,2020-01-02 03:04:05,aff-7,google,'
        b"Mozilla/5.0,2020-10-10 07:10:00,false,true,en_US,3,12.50,ann,2020-10-09 12:00:00\n"
        b'u2,Bob,,,,,,,2020-02-02 00:00:00,,,,2020-10-10 07:20:00,,,,-1,0.00,"b, b",2020-10-09 00:00:00\n'
    )


def test_empty_custom_field_cells_are_served_as_absent_values(tmp_path, custom_fields, client_with_key):
    # feeds.md section 2: an absent optional value is an empty CSV field, JSON null.
    path = write(
        tmp_path,
        "users.csv",
        f"""
        {USERS_HEADER},vip_level,ltv,nickname,last_seen_at
        u1,,,,,,,,2020-01-01 00:00:00,,,,2020-10-10 07:10:00,,,,,,,
        """,
    )
    import_feed("users", path, "--preserve-timestamps")
    assert served(client_with_key, "users") == (
        f"{USERS_HEADER},vip_level,ltv,nickname,last_seen_at\n".encode()
        + b"u1,,,,,,,,2020-01-01 00:00:00,,,,2020-10-10 07:10:00,,,,,,,\n"
    )
    row = json.loads(served(client_with_key, "users", format="json"))[0]
    assert [row["vip_level"], row["ltv"], row["nickname"], row["last_seen_at"]] == [None, None, None, None]


def test_json_null_clears_a_custom_value(tmp_path, custom_fields, client_with_key):
    first = write(tmp_path, "first.json", '[{"id": "u1", "registered_at": "2020-01-01 00:00:00", "modified_at": "2020-10-10 07:10:00", "nickname": "ann", "vip_level": 2}]')
    second = write(tmp_path, "second.json", '[{"id": "u1", "registered_at": "2020-01-01 00:00:00", "modified_at": "2020-10-10 07:20:00", "nickname": null}]')
    import_feed("users", first, "--preserve-timestamps")
    import_feed("users", second, "--preserve-timestamps")
    row = json.loads(served(client_with_key, "users", format="json"))[0]
    assert (row["modified_at"], row["nickname"], row["vip_level"]) == ("2020-10-10 07:20:00", None, 2)


def test_users_json_with_custom_fields_takes_json_numbers_and_booleans(tmp_path, custom_fields, client_with_key):
    path = write(
        tmp_path,
        "users.json",
        """
        [
          {"id": "u1", "registered_at": "2020-01-02 03:04:05", "modified_at": "2020-10-10 07:10:00",
           "is_blocked": true, "self_excluded": false, "birthday": "1990-05-17",
           "vip_level": 3, "ltv": 12.5, "nickname": "ann", "last_seen_at": "2020-10-09 12:00:00"}
        ]
        """,
    )
    import_feed("users", path, "--preserve-timestamps")
    assert json.loads(served(client_with_key, "users", format="json")) == [
        {
            "id": "u1",
            "first_name": None,
            "last_name": None,
            "gender": None,
            "country": None,
            "city": None,
            "ip": None,
            "birthday": "1990-05-17",
            "registered_at": "2020-01-02 03:04:05",
            "ref_code": None,
            "traffic_source": None,
            "user_agent": None,
            "modified_at": "2020-10-10 07:10:00",
            "is_blocked": True,
            "self_excluded": False,
            "locale": None,
            "vip_level": 3,
            "ltv": 12.5,
            "nickname": "ann",
            "last_seen_at": "2020-10-09 12:00:00",
        }
    ]


def test_importing_a_custom_column_keeps_the_other_custom_values(tmp_path, custom_fields):
    first = write(tmp_path, "first.csv", "id,registered_at,vip_level,nickname\nu1,2020-01-01 00:00:00,3,ann\n")
    import_feed("users", first)
    second = write(tmp_path, "second.csv", "id,registered_at,nickname\nu1,2020-01-01 00:00:00,annie\n")
    import_feed("users", second)
    assert Player.objects.get(id="u1").custom == {"vip_level": "3", "nickname": "annie"}


def test_a_bad_custom_field_value_is_refused_naming_its_column(tmp_path, custom_fields):
    path = lines(tmp_path, "users.csv", "id,registered_at,vip_level", "u1,2020-01-01 00:00:00,3", "u2,2020-01-01 00:00:00,gold")
    assert_names(refused("users", path), line=3, column="vip_level")
    assert not Player.objects.exists()


def test_a_column_of_an_undefined_custom_field_is_refused(tmp_path, db):
    path = write(tmp_path, "users.csv", "id,registered_at,vip_level\nu1,2020-01-01 00:00:00,3\n")
    assert "vip_level" in refused("users", path)
    assert not Player.objects.exists()


# --- transactions --------------------------------------------------------------------


def test_transactions_csv_is_loaded_field_by_field(tmp_path):
    path = write(
        tmp_path,
        "transactions.csv",
        f"""
        {TRANSACTIONS_HEADER}
        t1,p1,100.5,USD,Normal,Success,visa,IN,2020-10-10 07:00:00,2020-10-10 07:05:00,inv-1,w1,Mozilla/5.0,10.0.0.1,4111 **** **** 1111,"first, ""quoted"" deposit"
        t2,p2,0.00000001,BTC,Cash back,New,,OUT,2020-10-10 07:01:00,2020-10-10 07:06:00,,,,,,
        """,
    )
    import_feed("transactions", path, "--preserve-timestamps")
    t1, t2 = Transaction.objects.order_by("id")
    assert (t1.player_id, t1.amount, t1.currency, t1.type, t1.status, t1.payment_system, t1.dir) == (
        "p1", Decimal("100.5"), "USD", "Normal", "Success", "visa", "IN"
    )
    assert (t1.created_at, t1.updated_at) == (at("2020-10-10 07:00:00"), at("2020-10-10 07:05:00"))
    assert (t1.invoice_id, t1.wallet_id, t1.user_agent, t1.ip, t1.requisite, t1.comment) == (
        "inv-1", "w1", "Mozilla/5.0", "10.0.0.1", "4111 **** **** 1111", 'first, "quoted" deposit'
    )
    assert (t2.amount, t2.currency, t2.type, t2.status, t2.dir) == (
        Decimal("0.00000001"), "BTC", "Cash back", "New", "OUT"
    )


def test_transactions_csv_round_trips_through_the_api(tmp_path, client_with_key):
    text = (
        f"{TRANSACTIONS_HEADER}\n"
        't1,p1,100.5,USD,Normal,Success,visa,IN,2020-10-10 07:00:00,2020-10-10 07:05:00,,,,,,"two\r\nlines"\n'
        "t2,p2,0.00000001,BTC,,,,OUT,2020-10-10 07:01:00,2020-10-10 07:06:00,,,,,,\n"
    )
    path = tmp_path / "transactions.csv"
    path.write_bytes(text.encode())
    import_feed("transactions", path, "--preserve-timestamps")
    assert served(client_with_key, "transactions") == text.encode()


def test_transactions_json_is_loaded(tmp_path):
    path = write(
        tmp_path,
        "transactions.json",
        """
        [
          {"id": "t1", "player_id": "p1", "amount": 100.5, "currency": "USD", "type": "Prize",
           "status": "Process", "dir": "IN", "created_at": "2020-10-10 07:00:00",
           "updated_at": "2020-10-10 07:05:00", "comment": null},
          {"id": 42, "player_id": 7, "amount": "3", "currency": "EUR", "dir": "OUT",
           "created_at": "2020-10-10 07:01:00", "updated_at": "2020-10-10 07:06:00"}
        ]
        """,
    )
    import_feed("transactions", path, "--preserve-timestamps")
    t1 = Transaction.objects.get(id="t1")
    assert (t1.amount, t1.type, t1.status, t1.dir, t1.comment) == (Decimal("100.5"), "Prize", "Process", "IN", None)
    assert t1.updated_at == at("2020-10-10 07:05:00")
    numeric = Transaction.objects.get(id="42")
    assert (numeric.player_id, numeric.amount, numeric.currency, numeric.dir) == ("7", Decimal("3"), "EUR", "OUT")


def test_json_numbers_keep_their_exact_decimal_text(tmp_path, client_with_key):
    path = write(
        tmp_path,
        "transactions.json",
        """
        [{"id": "t1", "player_id": "p1", "amount": 0.00000001, "currency": "BTC", "dir": "IN",
          "created_at": "2020-10-10 07:00:00", "updated_at": "2020-10-10 07:05:00"}]
        """,
    )
    import_feed("transactions", path, "--preserve-timestamps")
    assert Transaction.objects.get().amount == Decimal("0.00000001")
    assert b'"amount":0.00000001,' in served(client_with_key, "transactions", format="json")


def test_json_numbers_keep_all_their_digits(tmp_path, client_with_key):
    # A float would give 123456789.12345679.
    path = write(
        tmp_path,
        "transactions.json",
        """
        [{"id": "t1", "player_id": "p1", "amount": 123456789.12345678, "currency": "BTC", "dir": "IN",
          "created_at": "2020-10-10 07:00:00", "updated_at": "2020-10-10 07:05:00"}]
        """,
    )
    import_feed("transactions", path, "--preserve-timestamps")
    assert Transaction.objects.get().amount == Decimal("123456789.12345678")
    assert b'"amount":123456789.12345678,' in served(client_with_key, "transactions", format="json")


def test_an_empty_csv_field_is_stored_as_null(tmp_path):
    path = write(
        tmp_path,
        "transactions.csv",
        f"""
        {TRANSACTIONS_HEADER}
        t1,p1,1,USD,,,,IN,2020-10-10 07:00:00,2020-10-10 07:05:00,,,,,,
        """,
    )
    import_feed("transactions", path, "--preserve-timestamps")
    t1 = Transaction.objects.get()
    optional = ["type", "status", "payment_system", "invoice_id", "wallet_id", "user_agent", "ip", "requisite", "comment"]
    assert [getattr(t1, name) for name in optional] == [None] * 9


def test_an_empty_required_field_is_refused(tmp_path):
    path = write(
        tmp_path,
        "transactions.csv",
        f"""
        {TRANSACTIONS_HEADER}
        t1,p1,,USD,,,,IN,2020-10-10 07:00:00,2020-10-10 07:05:00,,,,,,
        """,
    )
    assert_names(refused("transactions", path, "--preserve-timestamps"), line=2, column="amount")
    assert not Transaction.objects.exists()


# --- upsert --------------------------------------------------------------------------


def test_importing_again_updates_the_row_instead_of_adding_one(tmp_path):
    first = lines(tmp_path, "first.csv", SHORT_HEADER, "t1,p1,10,USD,IN,2020-10-10 07:00:00")
    second = lines(tmp_path, "second.csv", SHORT_HEADER, "t1,p1,20,USD,OUT,2020-10-10 07:00:00")
    import_feed("transactions", first)
    import_feed("transactions", second)
    assert list(Transaction.objects.values_list("id", "amount", "dir")) == [("t1", Decimal("20"), "OUT")]


def test_the_same_id_twice_in_one_file_keeps_the_later_record(tmp_path):
    path = write(
        tmp_path,
        "transactions.csv",
        """
        id,player_id,amount,currency,dir,created_at
        t1,p1,10,USD,IN,2020-10-10 07:00:00
        t1,p1,20,USD,IN,2020-10-10 07:00:00
        """,
    )
    import_feed("transactions", path)
    assert list(Transaction.objects.values_list("id", "amount")) == [("t1", Decimal("20"))]


def test_columns_absent_from_the_file_leave_existing_values_untouched(tmp_path):
    TransactionFactory(id="t1", amount=Decimal("10"), payment_system="visa", comment="vip", ip="10.0.0.1")
    path = lines(tmp_path, "t.csv", f"{SHORT_HEADER},comment", "t1,p1,20,USD,IN,2020-10-10 07:00:00,")
    import_feed("transactions", path)
    t1 = Transaction.objects.get()
    assert (t1.amount, t1.comment) == (Decimal("20"), None)
    assert (t1.payment_system, t1.ip, t1.requisite) == ("visa", "10.0.0.1", "4111 **** **** 1111")


def test_json_keys_absent_leave_values_untouched_and_null_clears_them(tmp_path):
    TransactionFactory(id="t1", comment="vip", ip="10.0.0.1")
    TransactionFactory(id="t2", comment="vip", ip="10.0.0.2")
    path = write(
        tmp_path,
        "t.json",
        """
        [
          {"id": "t1", "player_id": "p1", "amount": 1, "currency": "USD", "dir": "IN", "created_at": "2020-10-10 07:00:00", "comment": null},
          {"id": "t2", "player_id": "p2", "amount": 2, "currency": "USD", "dir": "IN", "created_at": "2020-10-10 07:00:00"}
        ]
        """,
    )
    import_feed("transactions", path)
    assert list(Transaction.objects.order_by("id").values_list("id", "amount", "comment", "ip")) == [
        ("t1", Decimal("1"), None, "10.0.0.1"),
        ("t2", Decimal("2"), "vip", "10.0.0.2"),
    ]


def test_users_columns_absent_from_the_file_leave_existing_values_untouched(tmp_path):
    first = write(tmp_path, "first.csv", "id,first_name,city,registered_at\nu1,Anna,Limassol,2020-01-01 00:00:00\n")
    second = write(tmp_path, "second.csv", "id,city,registered_at\nu1,Paphos,2020-01-01 00:00:00\n")
    import_feed("users", first)
    import_feed("users", second)
    assert Player.objects.values_list("first_name", "city").get() == ("Anna", "Paphos")


# --- contacts ------------------------------------------------------------------------


def test_contacts_are_keyed_by_player_id(tmp_path, client_with_key):
    header = "player_id,email,email_confirmed_at,email_subscribe,phone,phone_subscribe,phone_confirmed_at,push_token,created_at,modified_at"
    first = write(
        tmp_path,
        "first.csv",
        f"""
        {header}
        p1,a@example.com,2020-10-01 00:00:00,true,+35799000000,false,,,2020-10-01 00:00:00,2020-10-10 07:10:00
        p2,b@example.com,,false,,,,tok,2020-10-02 00:00:00,2020-10-10 07:20:00
        """,
    )
    second = write(tmp_path, "second.json", '[{"player_id": "p1", "email": "new@example.com", "created_at": "2020-10-01 00:00:00", "modified_at": "2020-10-10 07:30:00"}]')
    import_feed("contacts", first, "--preserve-timestamps")
    import_feed("contacts", second, "--preserve-timestamps")
    assert Contact.objects.count() == 2
    assert served(client_with_key, "contacts") == (
        f"{header}\n".encode()
        + b"p2,b@example.com,,false,,,,tok,2020-10-02 00:00:00,2020-10-10 07:20:00\n"
        b"p1,new@example.com,2020-10-01 00:00:00,true,+35799000000,false,,,2020-10-01 00:00:00,2020-10-10 07:30:00\n"
    )


def test_contacts_import_updates_an_existing_contact(tmp_path):
    ContactFactory(player__id="p1", email="old@example.com", phone="+1")
    path = write(tmp_path, "c.csv", "player_id,email,created_at\np1,new@example.com,2020-10-01 00:00:00\n")
    import_feed("contacts", path)
    assert Contact.objects.values_list("player_id", "email", "phone").get() == ("p1", "new@example.com", "+1")


# --- stamping ------------------------------------------------------------------------


def test_without_preserve_the_service_stamps_the_load_time_and_ignores_the_file(tmp_path):
    path = write(
        tmp_path,
        "transactions.csv",
        """
        id,player_id,amount,currency,dir,created_at,updated_at
        t1,p1,1,USD,IN,2020-10-10 07:00:00,2020-10-10 07:05:00
        """,
    )
    with stamping_span() as load:
        import_feed("transactions", path)
    created_at, updated_at = Transaction.objects.values_list("created_at", "updated_at").get()
    assert created_at == at("2020-10-10 07:00:00")
    assert updated_at in load


def test_without_preserve_users_modified_at_is_the_load_time(tmp_path):
    path = write(tmp_path, "users.csv", "id,registered_at,modified_at\nu1,2020-01-01 00:00:00,2030-01-01 00:00:00\n")
    with stamping_span() as load:
        import_feed("users", path)
    registered_at, modified_at = Player.objects.values_list("registered_at", "modified_at").get()
    assert registered_at == at("2020-01-01 00:00:00")
    assert modified_at in load


def test_importing_again_without_preserve_moves_the_stamp_to_the_new_load_time(tmp_path):
    path = lines(tmp_path, "t.csv", SHORT_HEADER, "t1,p1,1,USD,IN,2020-10-10 07:00:00")
    import_feed("transactions", path)
    first = Transaction.objects.get().updated_at
    with stamping_span() as second_load:
        import_feed("transactions", path)
    assert Transaction.objects.get().updated_at in second_load
    assert Transaction.objects.get().updated_at > first


def test_a_stamped_import_never_moves_a_row_back_in_time(tmp_path):
    # feeds.md section 1: a row's window timestamp never decreases. A row already stamped
    # later than the clock (a backfill, a clock behind) keeps its stamp.
    TransactionFactory(id="t1", updated_at=at("2099-01-01 12:00:00"))
    path = lines(tmp_path, "t.csv", SHORT_HEADER, "t1,p1,5,USD,IN,2020-10-10 07:00:00")
    import_feed("transactions", path)
    t1 = Transaction.objects.get()
    assert t1.amount == Decimal("5")
    assert t1.updated_at == at("2099-01-01 12:00:00")


def test_with_preserve_the_files_timestamp_is_kept(tmp_path):
    path = write(
        tmp_path,
        "transactions.csv",
        """
        id,player_id,amount,currency,dir,created_at,updated_at
        t1,p1,1,USD,IN,2020-10-10 07:00:00,2020-10-10 07:05:00.25
        """,
    )
    import_feed("transactions", path, "--preserve-timestamps")
    assert Transaction.objects.values_list("created_at", "updated_at").get() == (
        at("2020-10-10 07:00:00"),
        at("2020-10-10 07:05:00.25"),
    )


def test_with_preserve_the_window_timestamp_column_is_required(tmp_path):
    path = lines(tmp_path, "t.csv", SHORT_HEADER, "t1,p1,1,USD,IN,2020-10-10 07:00:00")
    assert_names(refused("transactions", path, "--preserve-timestamps"), line=HEADER_LINES, column="updated_at")
    assert not Transaction.objects.exists()


# --- game actions --------------------------------------------------------------------

GAME_ACTIONS = """
    id,session_id,player_id,game_code,game_name,game_vendor,currency,action,amount,balance_type,ip,user_agent,ref_code,created_at
    a1,s1,p1,book-of-ra,Book of Ra,Novomatic,EUR,bet,1.5,Normal,10.0.0.1,Mozilla/5.0,aff-1,2020-10-10 07:10:00
    a2,s1,p1,book-of-ra,Book of Ra,Novomatic,EUR,win,4,Normal,10.0.0.1,Mozilla/5.0,aff-1,2020-10-10 07:11:00
    a3,s1,p1,book-of-ra,Book of Ra,Novomatic,EUR,bet,0.00000001,Prize,10.0.0.1,Mozilla/5.0,,2020-10-10 07:12:00
    """


def test_game_actions_with_preserve_keep_created_at_and_recorded_at_follows_it(tmp_path, client_with_key):
    path = write(tmp_path, "actions.csv", GAME_ACTIONS)
    import_feed("game-actions", path, "--preserve-timestamps")
    assert list(GameAction.objects.order_by("id").values_list("id", "created_at", "recorded_at")) == [
        ("a1", at("2020-10-10 07:10:00"), at("2020-10-10 07:10:00")),
        ("a2", at("2020-10-10 07:11:00"), at("2020-10-10 07:11:00")),
        ("a3", at("2020-10-10 07:12:00"), at("2020-10-10 07:12:00")),
    ]
    assert served(client_with_key, "games") == (
        b"player_id,session_id,game_code,game_name,currency,bet_count,win_count,bet_amount,win_amount,"
        b"created_at,updated_at,game_vendor,balance_type,ip,user_agent,ref_code\n"
        b"p1,s1,book-of-ra,Book of Ra,EUR,2,1,1.50000001,4,2020-10-10 07:10:00,2020-10-10 07:12:00,"
        b"Novomatic,Normal,10.0.0.1,Mozilla/5.0,aff-1\n"
    )


def test_game_actions_without_preserve_are_recorded_at_the_load_time(tmp_path):
    path = write(tmp_path, "actions.csv", GAME_ACTIONS)
    with stamping_span() as load:
        import_feed("game-actions", path)
    actions = list(GameAction.objects.order_by("id").values_list("id", "created_at", "recorded_at"))
    assert [(id, created_at) for id, created_at, _ in actions] == [
        ("a1", at("2020-10-10 07:10:00")),
        ("a2", at("2020-10-10 07:11:00")),
        ("a3", at("2020-10-10 07:12:00")),
    ]
    assert all(recorded_at in load for _, _, recorded_at in actions)
    a3 = GameAction.objects.get(id="a3")
    assert (a3.session_id, a3.action, a3.amount, a3.balance_type, a3.ref_code) == (
        "s1", "bet", Decimal("0.00000001"), "Prize", None
    )


def test_game_actions_json_is_loaded(tmp_path):
    path = write(
        tmp_path,
        "actions.json",
        """
        [{"id": "a1", "session_id": "s1", "player_id": "p1", "game_name": "Book of Ra", "currency": "EUR",
          "action": "win", "amount": 2.25, "created_at": "2020-10-10 07:10:00"}]
        """,
    )
    import_feed("game-actions", path, "--preserve-timestamps")
    assert GameAction.objects.values_list("id", "action", "amount", "game_code", "recorded_at").get() == (
        "a1", "win", Decimal("2.25"), None, at("2020-10-10 07:10:00")
    )


def test_games_is_not_importable(tmp_path, db):
    path = write(tmp_path, "games.csv", "player_id,session_id\np1,s1\n")
    with pytest.raises(CommandError, match="games"):
        import_feed("games", path)
    assert not GameAction.objects.exists()


# --- refusal: the whole file, with line and column -----------------------------------


def test_a_bad_amount_on_the_last_of_three_rows_refuses_the_whole_file(tmp_path):
    path = write(
        tmp_path,
        "transactions.csv",
        """
        id,player_id,amount,currency,dir,created_at
        t1,p1,10,USD,IN,2020-10-10 07:00:00
        t2,p1,20,USD,IN,2020-10-10 07:00:00
        t3,p1,ten,USD,IN,2020-10-10 07:00:00
        """,
    )
    message = refused("transactions", path)
    assert_names(message, line=4, column="amount")
    assert "'ten'" in message
    assert not Transaction.objects.exists()


def test_a_refused_file_leaves_existing_rows_as_they_were(tmp_path):
    TransactionFactory(id="t1", amount=Decimal("1"), updated_at=at("2020-10-10 07:30:00"))
    path = write(
        tmp_path,
        "transactions.csv",
        """
        id,player_id,amount,currency,dir,created_at
        t1,p1,999,USD,OUT,2020-10-10 07:00:00
        t2,p1,20,USD,IN,2020-10-10 07:00:00
        t3,p1,30,USD,IN,yesterday
        """,
    )
    assert_names(refused("transactions", path), line=4, column="created_at")
    assert list(Transaction.objects.values_list("id", "amount", "dir", "updated_at")) == [
        ("t1", Decimal("1"), "IN", at("2020-10-10 07:30:00"))
    ]


def test_a_bad_row_after_a_full_batch_still_refuses_the_whole_file(tmp_path):
    rows = "".join(f"t{n},p1,1,USD,IN,2020-10-10 07:00:00\n" for n in range(2500))
    path = tmp_path / "transactions.csv"
    path.write_text(f"{SHORT_HEADER}\n" + rows + "bad,p1,1,USD,SIDEWAYS,2020-10-10 07:00:00\n")
    assert_names(refused("transactions", path), line=2502, column="dir")
    assert not Transaction.objects.exists()


def test_a_bad_json_object_after_objects_of_other_shapes_refuses_the_whole_file(tmp_path):
    # Objects with different keys are written in separate batches: all must be undone.
    path = write(
        tmp_path,
        "transactions.json",
        """
        [
          {"id": "t1", "player_id": "p1", "amount": 1, "currency": "USD", "dir": "IN", "created_at": "2020-10-10 07:00:00"},
          {"id": "t2", "player_id": "p1", "amount": 2, "currency": "USD", "dir": "IN", "created_at": "2020-10-10 07:00:00", "comment": "x"},
          {"id": "t3", "player_id": "p1", "amount": 3, "currency": "USD", "dir": "IN", "created_at": "2020-10-10 07:00:00", "ip": "1.2.3.4"},
          {"id": "t4", "player_id": "p1", "amount": 4, "currency": "USD", "dir": "UP", "created_at": "2020-10-10 07:00:00"}
        ]
        """,
    )
    assert_names(refused("transactions", path), line=5, column="dir")
    assert not Transaction.objects.exists()


def test_a_line_break_inside_a_quoted_field_counts_in_the_line_named(tmp_path):
    path = write(
        tmp_path,
        "transactions.csv",
        """
        id,player_id,amount,currency,dir,created_at,comment
        t1,p1,10,USD,IN,2020-10-10 07:00:00,"two
        lines"
        t2,p1,1.123456789,USD,IN,2020-10-10 07:00:00,
        """,
    )
    assert_names(refused("transactions", path), line=4, column="amount")
    assert not Transaction.objects.exists()


def test_an_unknown_column_is_refused_naming_it(tmp_path):
    path = lines(tmp_path, "t.csv", f"{SHORT_HEADER},colour", "t1,p1,1,USD,IN,2020-10-10 07:00:00,red")
    assert_names(refused("transactions", path), line=HEADER_LINES, column="colour")
    assert not Transaction.objects.exists()


def test_a_missing_required_column_is_refused_naming_it(tmp_path):
    path = write(tmp_path, "t.csv", "id,player_id,amount,currency,created_at\nt1,p1,1,USD,2020-10-10 07:00:00\n")
    assert_names(refused("transactions", path), line=HEADER_LINES, column="dir")
    assert not Transaction.objects.exists()


def test_a_json_object_missing_a_required_key_is_refused_naming_its_line(tmp_path):
    path = write(
        tmp_path,
        "t.json",
        """
        [
          {"id": "t1", "player_id": "p1", "amount": 1, "currency": "USD", "dir": "IN", "created_at": "2020-10-10 07:00:00"},
          {"id": "t2", "player_id": "p1", "amount": 1, "currency": "USD", "created_at": "2020-10-10 07:00:00"}
        ]
        """,
    )
    assert_names(refused("transactions", path), line=3, column="dir")
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("row", ["t2,p1,1,USD,IN", "t2,p1,1,USD,IN,2020-10-10 07:00:00,extra"])
def test_a_row_with_the_wrong_number_of_fields_is_refused_naming_its_line(tmp_path, row):
    path = lines(tmp_path, "t.csv", SHORT_HEADER, "t1,p1,1,USD,IN,2020-10-10 07:00:00", row)
    assert_names(refused("transactions", path), line=3)
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    "value", ["2020-10-10 25:00:00", "2020-02-30 00:00:00", "10/10/2020 07:00:00", "2020-10-10", "2020-10-10 07:00:00+02:00"]
)
def test_a_bad_timestamp_is_refused_naming_line_and_column(tmp_path, value):
    path = lines(tmp_path, "t.csv", SHORT_HEADER, "t1,p1,1,USD,IN,2020-10-10 07:00:00", f"t2,p1,1,USD,IN,{value}")
    assert_names(refused("transactions", path), line=3, column="created_at")
    assert not Transaction.objects.exists()


def test_a_bad_choice_is_refused_naming_line_and_column(tmp_path):
    path = lines(
        tmp_path, "t.csv", SHORT_HEADER, "t1,p1,1,USD,IN,2020-10-10 07:00:00", "t2,p1,1,USD,SIDEWAYS,2020-10-10 07:00:00"
    )
    message = refused("transactions", path)
    assert_names(message, line=3, column="dir")
    assert "SIDEWAYS" in message
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("amount", ["1e3", "1.123456789", "NaN", "Infinity", "1,5", "$1"])
def test_an_amount_that_is_not_plain_decimal_text_with_8_places_is_refused(tmp_path, amount):
    path = lines(tmp_path, "t.csv", SHORT_HEADER, f't1,p1,"{amount}",USD,IN,2020-10-10 07:00:00')
    assert_names(refused("transactions", path), line=2, column="amount")
    assert not Transaction.objects.exists()


def test_an_id_of_64_characters_is_accepted_and_one_of_65_refused(tmp_path):
    ok = lines(tmp_path, "ok.csv", SHORT_HEADER, f"{'x' * 64},p1,1,USD,IN,2020-10-10 07:00:00")
    import_feed("transactions", ok)
    assert Transaction.objects.get().id == "x" * 64
    bad = lines(
        tmp_path, "bad.csv", SHORT_HEADER, "t1,p1,1,USD,IN,2020-10-10 07:00:00", f"{'y' * 65},p1,1,USD,IN,2020-10-10 07:00:00"
    )
    assert_names(refused("transactions", bad), line=3, column="id")
    assert list(Transaction.objects.values_list("id", flat=True)) == ["x" * 64]


def test_a_player_id_longer_than_64_characters_is_refused(tmp_path):
    path = lines(tmp_path, "t.csv", SHORT_HEADER, f"t1,{'p' * 65},1,USD,IN,2020-10-10 07:00:00")
    assert_names(refused("transactions", path), line=2, column="player_id")
    assert not Transaction.objects.exists()


def test_a_bad_value_in_the_nth_json_object_names_the_line_of_the_value(tmp_path):
    path = write(
        tmp_path,
        "transactions.json",
        """
        [
          {
            "id": "t1", "player_id": "p1", "amount": 1, "currency": "USD",
            "dir": "IN", "created_at": "2020-10-10 07:00:00"
          },
          {
            "id": "t2", "player_id": "p1", "amount": 2, "currency": "USD",
            "dir": "IN", "created_at": "2020-10-10 07:00:00"
          },
          {
            "id": "t3", "player_id": "p1", "amount": "lots", "currency": "USD",
            "dir": "IN", "created_at": "2020-10-10 07:00:00"
          }
        ]
        """,
    )
    assert_names(refused("transactions", path), line=11, column="amount")
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    "text, line",
    [
        ('[\n{"id": "t1", "player_id": "p1", "amount": 1, "currency": "USD", "dir": "IN", "created_at": "2020-10-10 07:00:00"},\n{"id": "t2", "amount": }\n]\n', 3),
        ('[\n{"id": "t1", "player_id": "p1", "amount": 1, "currency": "USD", "dir": "IN", "created_at": "2020-10-10 07:00:00"}\n"t2"\n]\n', 3),
        ('{"id": "t1"}\n', 1),
        ('[\n["t1", "p1"]\n]\n', 2),
    ],
)
def test_malformed_json_is_refused_naming_the_line(tmp_path, text, line):
    path = tmp_path / "t.json"
    path.write_text(text)
    assert_names(refused("transactions", path), line=line)
    assert not Transaction.objects.exists()


def test_a_json_value_that_is_an_object_or_array_is_refused_naming_its_key(tmp_path):
    path = write(
        tmp_path,
        "t.json",
        '[{"id": "t1", "player_id": "p1", "amount": 1, "currency": "USD", "dir": "IN", "created_at": "2020-10-10 07:00:00", "comment": ["a"]}]',
    )
    assert_names(refused("transactions", path), line=1, column="comment")
    assert not Transaction.objects.exists()


def test_a_file_that_is_neither_csv_nor_json_is_refused(tmp_path, db):
    path = lines(tmp_path, "t.txt", SHORT_HEADER, "t1,p1,1,USD,IN,2020-10-10 07:00:00")
    refused("transactions", path)
    assert not Transaction.objects.exists()


def test_a_missing_file_is_a_command_error(tmp_path, db):
    with pytest.raises(CommandError, match="no such file"):
        import_feed("transactions", tmp_path / "absent.csv")


def test_a_nul_character_is_refused_with_its_line_and_column_on_every_database(tmp_path):
    path = write(
        tmp_path,
        "transactions.json",
        '[{"id": "t1", "player_id": "p1", "amount": 1, "currency": "EUR", "dir": "IN",\n'
        '  "created_at": "2020-10-10 07:00:00", "comment": "a\\u0000b"}]',
    )
    message = refused("transactions", path)
    assert_names(message, line=2, column="comment")  # the value's own line
    assert "NUL" in message
    assert not Transaction.objects.exists()


def test_a_kept_timestamp_in_the_future_is_refused(tmp_path):
    path = lines(
        tmp_path, "t.csv", f"{SHORT_HEADER},updated_at",
        "t1,p1,1,USD,IN,2020-10-10 07:00:00,2020-10-10 07:05:00",
        "t2,p1,1,USD,IN,2020-10-10 07:00:00,2999-01-01 00:00:00",
    )
    message = refused("transactions", path, "--preserve-timestamps")
    assert_names(message, line=3, column="updated_at")
    assert "in the future" in message
    assert not Transaction.objects.exists()


def test_a_file_with_more_custom_fields_than_a_database_function_takes_arguments_is_imported(tmp_path, db):
    """SQLite's json_object takes at most 127 arguments; 150 custom fields are 300 of them."""
    names = [f"field_{n:03d}" for n in range(150)]
    for name in names:
        custom_field_define(name=name, type="string")
    header = "id,registered_at," + ",".join(names)
    first = write(tmp_path, "first.csv", f"{header}\nu1,2020-01-01 00:00:00," + ",".join(f"v{n}" for n in range(150)) + "\n")
    import_feed("users", first)
    assert Player.objects.get(id="u1").custom == {name: f"v{n}" for n, name in enumerate(names)}
    # Again, clearing every other value and changing the rest: the merge is chunked too.
    cells = ",".join("" if n % 2 else f"w{n}" for n in range(150))
    second = write(tmp_path, "second.csv", f"{header}\nu1,2020-01-01 00:00:00,{cells}\n")
    import_feed("users", second)
    assert Player.objects.get(id="u1").custom == {name: f"w{n}" for n, name in enumerate(names) if n % 2 == 0}
