"""What a check writes to the outbox (assurance.md section 13): one notification per change
from what was already notified: ``pull.late``, ``pull.recovered``, ``pull.gap`` for a gap
not notified before; nothing for an expectation that is up when first checked. Each is
written with the state it reports, its body fixed then."""

import datetime as dt
import json

import pytest

from alerts.models import Delivery, Expectation, Notification
from alerts.services import expectation_check, expectations_check, expectations_set
from alerts.validation import Expected
from tests.alerts.conftest import pulled
from tests.support.factories import ExpectationFactory, PullFactory, at

pytestmark = pytest.mark.django_db

SET = at("2024-03-10 06:00:00")
MINUTE = dt.timedelta(minutes=1)


def check(now: dt.datetime) -> list[dict]:
    """Check at ``now``; the bodies written, oldest first."""
    before = set(Notification.objects.values_list("pk", flat=True))
    expectations_check(now=now)
    return [n.payload for n in Notification.objects.exclude(pk__in=before).order_by("pk")]


def window(start: str, end: str, *, ended: str | None = None) -> None:
    """A complete pull of users for [start, end) of 2024-03-10, ended at ``ended``."""
    pulled(ended=at(f"2024-03-10 {ended or end}"), window_from=at(f"2024-03-10 {start}"),
           window_to=at(f"2024-03-10 {end}"))


@pytest.fixture
def expectation():
    # Every 10 minutes with 2 of grace: late 12 minutes after the last pull ended.
    return ExpectationFactory(key_name="InTarget", feed="users", every=600, grace=120, set_at=SET)


def test_up_when_first_checked_sends_nothing_not_even_its_gaps(expectation):
    window("05:00:00", "05:10:00")
    window("05:20:00", "06:00:00")  # leaves 05:10-05:20
    assert check(at("2024-03-10 06:05:00")) == []
    assert Expectation.objects.get().notified_state == "up"
    assert check(at("2024-03-10 06:06:00")) == []


def test_late_when_first_checked_is_notified_with_its_gaps(expectation):
    window("05:00:00", "05:10:00", ended="05:10:04")
    window("05:20:00", "05:30:00", ended="05:30:04")
    assert check(at("2024-03-10 07:00:00")) == [
        {"type": "pull.late", "key": "InTarget", "feed": "users", "state": "late",
         "last_pull_at": "2024-03-10 05:30:04", "last_to": "2024-03-10 05:30:00", "gap": None,
         "at": "2024-03-10 07:00:00"},
        {"type": "pull.gap", "key": "InTarget", "feed": "users", "state": "late",
         "last_pull_at": "2024-03-10 05:30:04", "last_to": "2024-03-10 05:30:00",
         "gap": {"from": "2024-03-10 05:10:00", "to": "2024-03-10 05:20:00"}, "at": "2024-03-10 07:00:00"},
    ]


def test_late_then_recovered_then_late_again_each_once(expectation):
    assert check(at("2024-03-10 06:12:00")) == []  # set at 06:00: that counts as a pull
    (late,) = check(at("2024-03-10 06:12:00.000001"))
    assert (late["type"], late["state"], late["last_pull_at"]) == ("pull.late", "late", None)
    assert check(at("2024-03-10 06:30:00")) == []  # still late: nothing new
    window("06:20:00", "06:30:00", ended="06:30:01")
    (recovered,) = check(at("2024-03-10 06:31:00"))
    assert recovered == {
        "type": "pull.recovered", "key": "InTarget", "feed": "users", "state": "up",
        "last_pull_at": "2024-03-10 06:30:01", "last_to": "2024-03-10 06:30:00", "gap": None,
        "at": "2024-03-10 06:31:00",
    }
    assert check(at("2024-03-10 06:40:00")) == []
    assert [n["type"] for n in check(at("2024-03-10 06:43:00"))] == ["pull.late"]


def test_a_new_gap_is_notified_once_and_the_window_to_ask_for_is_in_it(expectation):
    window("05:50:00", "06:00:00")
    assert check(at("2024-03-10 06:01:00")) == []
    window("06:10:00", "06:20:00")  # InTarget skipped 06:00-06:10
    (gap,) = check(at("2024-03-10 06:21:00"))
    assert (gap["type"], gap["state"], gap["gap"]) == (
        "pull.gap", "up", {"from": "2024-03-10 06:00:00", "to": "2024-03-10 06:10:00"}
    )
    assert check(at("2024-03-10 06:22:00")) == []
    # Pulled again in part: what is still missing is a gap not notified before.
    window("06:00:00", "06:05:00")
    assert [n["gap"] for n in check(at("2024-03-10 06:23:00"))] == [
        {"from": "2024-03-10 06:05:00", "to": "2024-03-10 06:10:00"}
    ]


def test_the_body_is_the_contracts_json_in_its_order():
    ExpectationFactory(key_name="InTarget", feed="users", every=600, grace=120, set_at=SET)
    window("06:00:00", "07:00:00", ended="07:00:04")
    check(at("2024-03-10 07:12:05"))
    assert Notification.objects.get().body == (
        '{"type": "pull.late", "key": "InTarget", "feed": "users", "state": "late", '
        '"last_pull_at": "2024-03-10 07:00:04", "last_to": "2024-03-10 07:00:00", "gap": null, '
        '"at": "2024-03-10 07:12:05"}'
    )


def test_a_delivery_per_channel_configured_when_written_none_without_channels(expectation, settings):
    settings.ALERT_WEBHOOK_URL, settings.ALERT_EMAIL_TO = "", []
    check(at("2024-03-10 07:00:00"))
    assert Notification.objects.count() == 1 and Delivery.objects.count() == 0
    assert Expectation.objects.get().notified_state == "late"  # tracked all the same
    settings.ALERT_WEBHOOK_URL, settings.ALERT_EMAIL_TO = "http://127.0.0.1:9/hook", ["ops@example.com"]
    window("06:50:00", "07:00:00", ended="07:00:01")
    check(at("2024-03-10 07:01:00"))
    recovered = Notification.objects.get(type="pull.recovered")
    assert sorted(recovered.deliveries.values_list("channel", "attempts", "delivered_at")) == [
        ("email", 0, None), ("webhook", 0, None)
    ]
    assert len(set(Notification.objects.values_list("webhook_id", flat=True))) == 2


def test_a_check_older_than_the_last_one_recorded_writes_nothing(expectation):
    check(at("2024-03-10 07:00:00"))  # late, notified
    window("06:50:00", "07:00:00")
    assert expectation_check(expectation, now=at("2024-03-10 06:59:59")) is None
    assert Notification.objects.count() == 1


def test_an_expectation_set_again_during_its_check_is_left_to_the_next_check(expectation):
    stale = Expectation.objects.get()
    expectations_set(expected=Expected("InTarget", ("users",), 600, 120), now=at("2024-03-10 06:30:00"))
    assert expectation_check(stale, now=at("2024-03-10 07:00:00")) is None
    assert not Notification.objects.exists()
    assert Expectation.objects.get().notified_state == ""


def test_what_was_notified_survives_setting_it_again_so_the_recovery_is_notified(expectation):
    check(at("2024-03-10 07:00:00"))
    expectations_set(expected=Expected("InTarget", ("users",), 3600, 3600), now=at("2024-03-10 07:00:30"))
    assert [n["type"] for n in check(at("2024-03-10 07:01:00"))] == ["pull.recovered"]


def test_notifications_of_a_removed_expectation_stay_to_be_delivered(expectation, settings):
    settings.ALERT_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    check(at("2024-03-10 07:00:00"))
    Expectation.objects.all().delete()
    assert Delivery.objects.filter(delivered_at=None).count() == 1


def test_each_key_and_feed_separately():
    ExpectationFactory(key_name="InTarget", feed="users", every=600, grace=120, set_at=SET)
    ExpectationFactory(key_name="InTarget", feed="bets", every=600, grace=120, set_at=SET)
    PullFactory(key_name="InTarget", feed="bets", started_at=at("2024-03-10 06:59:00"))
    bodies = check(at("2024-03-10 07:00:00"))
    assert [(b["type"], b["feed"]) for b in bodies] == [("pull.late", "users")]
    assert json.loads(Notification.objects.get().body)["key"] == "InTarget"
