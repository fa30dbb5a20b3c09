"""Expected pulls and notifications in the admin (assurance.md section 13): expectations
listed with their state now, added and edited with the command's own check (the same
messages); notifications read only, with their delivery on each channel."""

import datetime as dt

import pytest
from django.urls import reverse

from alerts.models import Expectation, Notification
from alerts.validation import NOT_PULLABLE
from tests.alerts.conftest import WEBHOOK_SECRET, now, pulled
from tests.support.factories import DeliveryFactory, ExpectationFactory, NotificationFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:alerts_expectation_add")


def form(**fields) -> dict[str, str]:
    return {"key_name": "InTarget", "feed": "users", "every": "10m", "grace": "", **fields}


def test_the_list_shows_each_expectation_with_its_state_now(admin_client):
    ExpectationFactory(feed="users", every=600, grace=120, set_at=now() - dt.timedelta(days=1))
    ExpectationFactory(feed="bets", every=600, grace=120, set_at=now() - dt.timedelta(days=1))
    pulled(feed="bets", ended=now() - dt.timedelta(minutes=1))
    page = admin_client.get(reverse("admin:alerts_expectation_changelist")).content.decode()
    assert "<strong>late</strong>" in page and ">up<" in page
    assert ">10m<" in page and ">2m<" in page


def test_adding_sets_it_as_the_command_does(admin_client, intarget):
    response = admin_client.post(ADD, form(every="1h", grace="5m"))
    assert response.status_code == 302, response.content.decode()
    expectation = Expectation.objects.get()
    assert (expectation.key_name, expectation.feed, expectation.every, expectation.grace) == ("InTarget", "users", 3600, 300)
    assert abs(expectation.set_at - now()) < dt.timedelta(minutes=5)
    admin_client.post(ADD, form(feed="bets", every="30s"))
    assert Expectation.objects.get(feed="bets").grace == 30  # grace defaults to every


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"key_name": "Nobody"}, "key_name", "no key name 'Nobody'; the key names: InTarget"),
        ({"key_name": "intarget"}, "key_name", "no key name 'intarget'; did you mean 'InTarget'? The key names: InTarget"),
        ({"feed": "wallets"}, "feed", NOT_PULLABLE.format(name="InTarget", feed="wallets", feeds="").rstrip()),
        ({"every": "1 hour"}, "every", "expected a duration, a whole number followed by s, m, h or d"),
        ({"every": "0m"}, "every", "expected a duration above 0, got '0m'"),
        ({"grace": "1w"}, "grace", "expected a duration"),
    ],
)
def test_a_refusal_is_the_commands_and_saves_nothing(admin_client, intarget, fields, field, message):
    response = admin_client.post(ADD, form(**fields))
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert not Expectation.objects.exists()


def test_a_grace_of_none_is_saved_and_shown_as_0s(admin_client, intarget):
    assert admin_client.post(ADD, form(every="5m", grace="0s")).status_code == 302
    expectation = Expectation.objects.get()
    assert (expectation.every, expectation.grace) == (300, 0)
    page = admin_client.get(reverse("admin:alerts_expectation_change", args=[expectation.pk]))
    assert page.context["adminform"].form.initial["grace"] == "0s"


def test_editing_changes_the_durations_and_sets_it_again(admin_client, intarget):
    expectation = ExpectationFactory(every=600, grace=120, set_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    url = reverse("admin:alerts_expectation_change", args=[expectation.pk])
    page = admin_client.get(url)
    assert page.context["adminform"].form.initial["every"] == "10m"
    assert "key_name" not in page.context["adminform"].form.fields  # read only once set
    assert admin_client.post(url, {"every": "1d", "grace": "1h"}).status_code == 302
    expectation.refresh_from_db()
    assert (expectation.every, expectation.grace, expectation.set_at.year) == (86400, 3600, now().year)


def test_notifications_are_listed_with_their_delivery_per_channel_and_read_only(admin_client, settings):
    settings.ALERT_WEBHOOK_SECRET = WEBHOOK_SECRET
    delivered = DeliveryFactory(channel="webhook", attempts=2, delivered_at=now(), last_error="HTTP 500")
    DeliveryFactory(notification=delivered.notification, channel="email", attempts=3, last_error="SMTPAuthenticationError")
    NotificationFactory(type="pull.gap")  # no channel configured then
    listed = admin_client.get(reverse("admin:alerts_notification_changelist")).content.decode()
    assert "(attempt 2)" in listed and "pending: 3 attempts, last SMTPAuthenticationError" in listed
    notification = delivered.notification
    page = admin_client.get(reverse("admin:alerts_notification_change", args=[notification.pk])).content.decode()
    assert notification.webhook_id in page and "HTTP 500" in page
    assert WEBHOOK_SECRET.removeprefix("whsec_") not in listed + page
    assert admin_client.get(reverse("admin:alerts_notification_add")).status_code == 403
    assert admin_client.post(reverse("admin:alerts_notification_delete", args=[notification.pk])).status_code == 403
    assert Notification.objects.count() == 2
