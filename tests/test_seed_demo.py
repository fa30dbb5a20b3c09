"""seed_demo: demo rows for every feed, stamped so that the last hour answers each one."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from intarget_export.feeds import served_feeds
from payments.models import Transaction
from players.models import CustomField, Player

pytestmark = pytest.mark.django_db


def last_hours_window() -> dict[str, str]:
    now = timezone.now().replace(microsecond=0)
    return {
        "from": (now - dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S"),
        "to": (now - dt.timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S"),
    }


def seed(players: int = 5) -> str:
    out = StringIO()
    call_command("seed_demo", players=players, stdout=out)
    return out.getvalue()


def test_every_feed_answers_the_last_hours_window_with_rows(client_with_key):
    seed(players=5)
    window = last_hours_window()
    for name in served_feeds():
        response = client_with_key.get(f"/api/{name}", {**window, "format": "json"})
        assert response.status_code == 200, (name, b"".join(response.streaming_content))
        rows = json.loads(b"".join(response.streaming_content))
        assert len(rows) >= 1, name


def test_a_single_player_still_fills_every_feed(client_with_key):
    seed(players=1)
    window = last_hours_window()
    for name in served_feeds():
        response = client_with_key.get(f"/api/{name}", window)
        assert len(b"".join(response.streaming_content).splitlines()) >= 2, name


def test_window_timestamps_are_spread_over_hours_and_end_a_minute_ago():
    seed(players=20)
    stamps = sorted(Player.objects.values_list("modified_at", flat=True))
    assert stamps[-1] <= timezone.now() - dt.timedelta(minutes=1)
    assert stamps[-1] - stamps[0] > dt.timedelta(hours=3)


def test_it_writes_custom_values_and_crypto_amounts():
    seed(players=20)
    defined = dict(CustomField.objects.values_list("name", "type"))
    assert defined == {"vip_level": "integer", "lifetime_value": "decimal"}
    values = [player.custom for player in Player.objects.all()]
    assert all(set(custom) == {"vip_level", "lifetime_value"} for custom in values)
    assert all(len(custom["lifetime_value"].split(".")[1]) == 2 for custom in values)
    bitcoin = Transaction.objects.filter(currency="BTC").values_list("amount", flat=True)
    assert any(-amount.normalize().as_tuple().exponent > 2 for amount in bitcoin)


def test_it_can_run_twice_and_prints_one_summary_line():
    first = seed(players=3)
    second = seed(players=3)
    assert Player.objects.count() == 6
    assert first.count("\n") == 1 and "3 players" in first
    assert first.split(":")[0] != second.split(":")[0]
