"""``/metrics`` adds, per key and feed with an expectation (assurance.md section 13):
``intarget_export_pull_late`` (0 or 1), ``intarget_export_sync_gaps`` and
``intarget_export_last_pull_age_seconds``, read from the database at the scrape."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.alerts.conftest import pulled
from tests.support.factories import ExpectationFactory, PullFactory, at

pytestmark = pytest.mark.django_db

NOW = at("2024-03-10 07:12:00")
GAUGES = ("intarget_export_pull_late", "intarget_export_sync_gaps", "intarget_export_last_pull_age_seconds")


def scrape() -> dict[tuple[str, str, str], float]:
    with time_machine.travel(NOW, tick=False):
        response = Client().get("/metrics")
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            if sample.name in GAUGES:
                assert family.type == "gauge"
                found[(sample.name, sample.labels["key"], sample.labels["feed"])] = sample.value
    return found


def test_each_expectation_has_its_three_gauges():
    ExpectationFactory(key_name="InTarget", feed="users", every=600, grace=120, set_at=at("2024-03-01 00:00:00"))
    ExpectationFactory(key_name="InTarget", feed="bets", every=600, grace=120, set_at=at("2024-03-10 07:10:00"))
    pulled(ended=at("2024-03-10 06:59:59.5"), window_from=at("2024-03-10 06:00:00"), window_to=at("2024-03-10 06:30:00"))
    PullFactory(window_from=at("2024-03-10 06:40:00"), window_to=at("2024-03-10 06:50:00"), started_at=at("2024-03-10 06:50:01"))
    assert scrape() == {
        ("intarget_export_pull_late", "InTarget", "users"): 1.0,
        ("intarget_export_sync_gaps", "InTarget", "users"): 1.0,
        ("intarget_export_last_pull_age_seconds", "InTarget", "users"): 720.5,
        # Never pulled, set two minutes ago: up, its age counted from then.
        ("intarget_export_pull_late", "InTarget", "bets"): 0.0,
        ("intarget_export_sync_gaps", "InTarget", "bets"): 0.0,
        ("intarget_export_last_pull_age_seconds", "InTarget", "bets"): 120.0,
    }


def test_no_expectation_no_series_and_the_feed_metrics_are_still_there():
    with time_machine.travel(NOW, tick=False):
        text = Client().get("/metrics").content.decode()
    assert "intarget_export_feed_rows_total" in text
    assert 'intarget_export_pull_late{' not in text


def test_the_age_passes_every_plus_grace_exactly_when_it_is_late():
    ExpectationFactory(every=600, grace=120, set_at=at("2024-03-01 00:00:00"))
    pulled(ended=NOW - dt.timedelta(seconds=720))
    assert scrape()[("intarget_export_pull_late", "InTarget", "users")] == 0.0
    assert scrape()[("intarget_export_last_pull_age_seconds", "InTarget", "users")] == 720.0
