"""seed_demo: demo rows for every feed, stamped so that the last hour answers each one; a
new run replaces the rows of the earlier ones (ids starting with demo-), and only those."""

import datetime as dt
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.services import TABLES
from feeds.registry import served_feeds
from payments.models import Transaction
from players.models import Contact, CustomField, Player
from tests.support.factories import PlayerFactory, TransactionFactory

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


def test_it_prints_one_summary_line_with_rows_seconds_and_rate():
    out = seed(players=3)
    assert out.count("\n") == 1 and "3 players" in out
    assert re.search(r"; [0-9]+ rows made in [0-9.]+ s \([0-9]+ rows/s\)\n$", out), out


def test_running_it_again_replaces_the_earlier_demo_rows_and_keeps_the_products():
    # The product's own rows (ids without the demo prefix) are never touched.
    PlayerFactory(id="p1")
    TransactionFactory(id="t1", player_id="p1")
    first = seed(players=3)
    tables = {model: model._default_manager.count() for model in TABLES}
    second = seed(players=3)
    assert Player.objects.count() == 3 + 1
    assert Contact.objects.filter(player__id__startswith="demo-").count() == 3
    assert Player.objects.filter(id="p1").exists() and Transaction.objects.filter(id="t1").exists()
    tag = second.split(":")[0].removeprefix("seed_demo ")
    assert first.split(":")[0] != second.split(":")[0]
    demo_players = Player.objects.filter(id__startswith="demo-").values_list("id", flat=True)
    assert all(player.startswith(f"{tag}-") for player in demo_players)
    assert f"replaced {sum(tables.values()) - 2} rows of an earlier run" in second
    assert "replaced" not in first


def test_the_last_hour_answers_the_new_run_only(client_with_key):
    seed(players=2)
    second = seed(players=2)
    tag = second.split(":")[0].removeprefix("seed_demo ")
    response = client_with_key.get("/api/users", {**last_hours_window(), "format": "json"})
    ids = [row["id"] for row in json.loads(b"".join(response.streaming_content))]
    assert ids and all(id.startswith(f"{tag}-") for id in ids)
