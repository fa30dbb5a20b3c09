"""The admin login locks a user name out at an address after AXES_FAILURE_LIMIT wrong
passwords, for AXES_COOLOFF_TIME; the operator sees it in the admin and can lift it."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from tests.support.servers import Gunicorn, admin_login_page, manage, migrate, post_admin_login, service_env

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"
PASSWORD = "a-long-correct-password-1"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # A real hasher costs ~0.4 s a login; the lockout does not depend on which one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def operator() -> User:
    return User.objects.create_superuser("operator", password=PASSWORD)


def log_in(password: str, username: str = "operator", address: str = "192.0.2.10"):
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": username, "password": password, "next": "/admin/"})


def fail(times: int, **kwargs) -> None:
    for _ in range(times):
        response = log_in("wrong", **kwargs)
        assert response.status_code == 200  # the form again, with its error
        assert b"Please enter the correct username and password" in response.content


def assert_locked_out(response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    assert b"Too many failed logins" in response.content
    assert b"Traceback" not in response.content


def lock_out(**kwargs) -> None:
    fail(settings.AXES_FAILURE_LIMIT - 1, **kwargs)
    assert_locked_out(log_in("wrong", **kwargs))  # the limit-th failure gets the lockout


def test_the_right_password_works_before_the_limit(operator):
    fail(settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(PASSWORD).status_code == 302


def test_a_successful_login_resets_the_count(operator):
    fail(settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(PASSWORD).status_code == 302
    fail(settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(PASSWORD).status_code == 302


def test_the_limit_locks_the_user_name_at_that_address_even_with_the_right_password(operator):
    lock_out()
    assert_locked_out(log_in(PASSWORD))


def test_the_lockout_is_per_user_name_and_address(operator):
    User.objects.create_superuser("colleague", password=PASSWORD)
    lock_out()
    assert log_in(PASSWORD, username="colleague").status_code == 302  # same address, other name
    assert log_in(PASSWORD, address="198.51.100.7").status_code == 302  # same name, other address


def test_an_x_forwarded_for_header_does_not_buy_a_fresh_address(operator):
    lock_out()
    response = Client(REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.99").post(
        LOGIN, {"username": "operator", "password": PASSWORD}
    )
    assert_locked_out(response)


def test_the_lockout_ends_after_the_cool_off(operator):
    lock_out()
    with time_machine.travel(dt.datetime.now(dt.UTC) + settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=5)):
        assert log_in(PASSWORD).status_code == 302


def test_the_operator_sees_the_lockout_in_the_admin_and_axes_reset_lifts_it(operator):
    lock_out()
    other = User.objects.create_superuser("other-operator", password=PASSWORD)
    admin = Client()
    admin.force_login(other)
    page = admin.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert b"operator" in page.content and b"192.0.2.10" in page.content
    call_command("axes_reset")
    assert log_in(PASSWORD).status_code == 302


@pytest.mark.slow
def test_a_real_gunicorn_counts_attempts_until_the_lockout(tmp_path):
    """Through gunicorn and the CSRF-protected login form, as a browser would."""
    env = service_env(tmp_path)
    migrate(env)
    manage(env, "shell", "-c", f"from django.contrib.auth.models import User; User.objects.create_superuser('op', password='{PASSWORD}')")
    with Gunicorn(env, tmp_path / "gunicorn.log") as server:
        status, form, token = admin_login_page(server)
        assert status == 200

        def attempt(password: str) -> int:
            return post_admin_login(server, form, token, "op", password)[0]

        statuses = [attempt(f"wrong-{n}") for n in range(8)]
        assert statuses.index(429) == settings.AXES_FAILURE_LIMIT - 1, statuses
        assert set(statuses[: settings.AXES_FAILURE_LIMIT - 1]) == {200}
        assert set(statuses[settings.AXES_FAILURE_LIMIT - 1 :]) == {429}
        assert attempt(PASSWORD) == 429
        assert "wrong-" not in server.log_text()  # no password in any log line
