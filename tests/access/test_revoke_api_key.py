"""``manage.py revoke_api_key <name>`` (operations.md section 6)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from access.models import ApiKey
from tests.support.factories import issue_key

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}


def status(secret: str) -> int:
    return APIClient().get("/api/users", WINDOW, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def revoke(name: str) -> str:
    out = io.StringIO()
    call_command("revoke_api_key", name, stdout=out)
    return out.getvalue()


def test_every_active_key_of_the_name_is_revoked_and_the_count_is_said():
    secrets = [issue_key("InTarget")[1] for _ in range(2)]
    _, other = issue_key("InTarget staging")
    assert "2" in revoke("InTarget")
    assert [status(secret) for secret in secrets] == [401, 401]
    assert status(other) == 200


def test_already_revoked_keys_are_not_counted_again():
    issue_key("InTarget")
    revoke("InTarget")
    issue_key("InTarget")
    assert "1 API key" in revoke("InTarget")
    assert not ApiKey.objects.active().exists()


def test_no_key_of_that_name_is_a_non_zero_exit_naming_the_names_there_are():
    issue_key("InTarget")
    with pytest.raises(CommandError, match="no key name 'nobody'; the key names: InTarget"):
        revoke("nobody")
    assert ApiKey.objects.active().count() == 1


def test_a_name_whose_keys_are_all_revoked_is_a_non_zero_exit_saying_so():
    issue_key("InTarget")
    revoke("InTarget")
    with pytest.raises(CommandError, match="no active API key named 'InTarget': every key of that name is revoked"):
        revoke("InTarget")
