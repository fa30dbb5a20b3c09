"""``manage.py prune_pull_log``: entries older than PULL_LOG_DAYS go, the rest stay."""

import io

import pytest
import time_machine
from django.core.management import call_command

from operations.models import Pull
from tests.support.factories import PullFactory, at

pytestmark = pytest.mark.django_db


def test_entries_older_than_the_retention_are_removed(settings):
    settings.PULL_LOG_DAYS = 90
    PullFactory(started_at=at("2026-09-01 11:59:59"))
    kept = PullFactory(started_at=at("2026-09-01 12:00:01"))
    out = io.StringIO()
    with time_machine.travel(at("2026-11-30 12:00:00"), tick=False):
        call_command("prune_pull_log", stdout=out)
    assert list(Pull.objects.all()) == [kept]
    assert "1 pull log entries" in out.getvalue()
