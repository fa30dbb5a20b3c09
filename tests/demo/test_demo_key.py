"""demo_key: the demo's one pull key, the same on every run of the demo, made anew only when
the kept one no longer opens the feeds."""

import io
import stat

import pytest
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from access.models import ApiKey
from access.services import api_key_issue
from demo.services import DEMO_KEY_FILE, demo_key_get_or_issue

pytestmark = pytest.mark.django_db


def demo_key(data_dir) -> str:
    out = io.StringIO()
    with override_settings(DATA_DIR=data_dir):
        call_command("demo_key", stdout=out)
    return out.getvalue().splitlines()[-1]


def active_demo_keys() -> list[ApiKey]:
    return list(ApiKey.objects.active().filter(name="demo"))


def opens_the_feeds(secret: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client.get("/api/tournaments").status_code == 200


def test_the_key_is_the_same_on_every_run_and_opens_the_feeds(tmp_path):
    first = demo_key(tmp_path)
    assert demo_key(tmp_path) == first
    assert len(active_demo_keys()) == 1 and ApiKey.objects.count() == 1
    assert opens_the_feeds(first)


def test_its_secret_is_kept_readable_by_the_owner_alone(tmp_path):
    secret = demo_key(tmp_path)
    path = tmp_path / DEMO_KEY_FILE
    assert path.read_text() == f"{secret}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The database holds its hash only.
    assert not ApiKey.objects.filter(key_hash=secret).exists() and secret not in str(ApiKey.objects.get().__dict__)


def test_a_revoked_demo_key_is_replaced(tmp_path):
    first = demo_key(tmp_path)
    ApiKey.objects.get().revoke()
    second = demo_key(tmp_path)
    assert second != first and opens_the_feeds(second) and not opens_the_feeds(first)
    assert len(active_demo_keys()) == 1


def test_a_new_database_gets_a_new_key_though_the_file_is_kept(tmp_path):
    first = demo_key(tmp_path)
    ApiKey.objects.all().delete()  # as a fresh database would be
    second = demo_key(tmp_path)
    assert second != first and opens_the_feeds(second)
    assert (tmp_path / DEMO_KEY_FILE).read_text() == f"{second}\n"


def test_other_active_keys_named_demo_are_revoked_and_other_names_left_alone(tmp_path):
    api_key_issue(name="demo")  # e.g. made by hand with create_api_key demo
    _, intarget = api_key_issue(name="InTarget production")
    secret, made = demo_key_get_or_issue(data_dir=tmp_path)
    assert made
    assert [key.prefix for key in active_demo_keys()] == [secret[: len(active_demo_keys()[0].prefix)]]
    assert opens_the_feeds(intarget)


def test_a_kept_secret_of_a_key_of_another_name_is_not_taken(tmp_path):
    _, other = api_key_issue(name="InTarget production")
    (tmp_path / DEMO_KEY_FILE).write_text(other + "\n")
    secret, made = demo_key_get_or_issue(data_dir=tmp_path)
    assert made and secret != other
    assert opens_the_feeds(other)  # still InTarget's, untouched
