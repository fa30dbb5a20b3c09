"""``manage.py create_api_key <name>`` (feeds.md section 3): shown once, last line; hash stored."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.test import APIClient

from access.models import ApiKey
from tests.support.factories import TransactionFactory, at
from tests.support.servers import migrate, run_manage, service_env

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}


def create_api_key(name: str, *options: str) -> str:
    out = io.StringIO()
    call_command("create_api_key", name, *options, stdout=out)
    return out.getvalue()


def last_line(output: str) -> str:
    return output.rstrip("\n").split("\n")[-1]


def test_the_key_is_the_last_line_of_the_output_and_works_as_bearer():
    TransactionFactory(id="t1", updated_at=at("2020-10-10 07:10:00"))
    key = last_line(create_api_key("InTarget production"))
    client = APIClient()
    assert client.get("/api/transactions", WINDOW).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.get("/api/transactions", WINDOW)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).splitlines()[1].startswith(b"t1,")


def test_the_last_line_is_the_key_alone():
    key = last_line(create_api_key("InTarget production"))
    assert key == key.strip() and " " not in key
    assert len(key) >= 32


def test_the_key_is_printed_once():
    output = create_api_key("InTarget production")
    key = last_line(output)
    assert output.count(key) == 1


def test_the_key_is_stored_under_its_name_and_only_as_a_hash():
    key = last_line(create_api_key("InTarget production"))
    assert list(ApiKey.objects.values_list("name", flat=True)) == ["InTarget production"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(ApiKey._meta.db_table)}")
        (row,) = cursor.fetchall()
    for value in row:
        assert key not in str(value)
        assert key[-20:] not in str(value)


def test_each_call_creates_a_new_different_key_and_both_work():
    first = last_line(create_api_key("InTarget production"))
    second = last_line(create_api_key("InTarget staging"))
    assert first != second
    assert ApiKey.objects.count() == 2
    for key in (first, second):
        assert APIClient().get("/api/transactions", WINDOW, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_a_revoked_key_from_the_command_stops_working():
    key = last_line(create_api_key("InTarget production"))
    ApiKey.objects.get().revoke()
    assert APIClient().get("/api/transactions", WINDOW, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_a_name_is_required():
    with pytest.raises(CommandError):
        call_command("create_api_key", stdout=io.StringIO())
    assert not ApiKey.objects.exists()


# --- rules (operations.md section 6) -------------------------------------------------


def test_the_rules_given_as_options_are_stored_with_the_key():
    key = last_line(
        create_api_key(
            "InTarget", "--feeds", "users,transactions", "--allow-ip", "203.0.113.0/24",
            "--allow-ip", "2001:db8::/32", "--expires", "2099-01-01 00:00:00",
        )
    )
    stored = ApiKey.objects.for_key(key)
    assert stored.feeds == ["users", "transactions"]
    assert stored.allowed_networks == ["203.0.113.0/24", "2001:db8::/32"]
    assert stored.expires_at == at("2099-01-01 00:00:00")
    assert stored.direction == "pull"


def test_push_makes_a_push_key():
    key = last_line(create_api_key("product", "--push", "--feeds", "game-actions,transactions"))
    stored = ApiKey.objects.for_key(key)
    assert (stored.direction, stored.feeds) == ("push", ["game-actions", "transactions"])


@pytest.mark.parametrize(
    "options, named",
    [
        (["--feeds", "users,players"], ["--feeds", "'players'"]),
        (["--feeds", "userz"], ["--feeds", "'userz'", "did you mean 'users'?", "users, contacts"]),
        (["--feeds", "game-actions"], ["--feeds", "'game-actions'"]),  # not served: a pull key cannot open it
        (["--push", "--feeds", "games"], ["--feeds", "'games'"]),  # aggregated: cannot be pushed
        (["--feeds", ","], ["--feeds"]),
        (["--allow-ip", "203.0.113.0/24", "--allow-ip", "203.0.113.300"], ["--allow-ip", "'203.0.113.300'"]),
        (["--allow-ip", "example.com"], ["--allow-ip", "'example.com'"]),
        (["--expires", "2020-01-01 00:00:00"], ["--expires", "2020-01-01 00:00:00", "not in the future"]),
        (["--expires", "tomorrow"], ["--expires", "'tomorrow'"]),
    ],
)
def test_a_bad_option_value_is_refused_by_name_and_no_key_is_made(options, named):
    with pytest.raises(CommandError) as refused:
        create_api_key("InTarget", *options)
    for text in named:
        assert text in str(refused.value)
    assert not ApiKey.objects.exists()


def test_a_bad_option_value_exits_non_zero_from_the_shell(tmp_path):
    env = service_env(tmp_path)
    migrate(env)
    result = run_manage(env, "create_api_key", "x", "--allow-ip", "nonsense")
    assert result.returncode != 0
    assert "--allow-ip" in result.stderr and "'nonsense'" in result.stderr
