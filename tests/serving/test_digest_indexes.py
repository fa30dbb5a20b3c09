"""A digest's window is a range of an index (serving/digest.py): the feed's (window
timestamp, id) index, or for games the sessions' span index (games/session_span.py);
never a read of every row for a short window."""

import pytest
from django.db import connection

from feeds.registry import served_feeds
from feeds.window import Window
from serving.digest import digest_rows
from tests.support.factories import at

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]

WINDOW = Window(at("2020-10-10 07:00:00"), at("2020-10-10 08:00:00"))


@pytest.mark.parametrize("name", sorted(served_feeds()))
@pytest.mark.parametrize("step", [None, 600])
def test_a_digest_window_is_an_index_range(name, step):
    feed = served_feeds()[name]
    sql, params = digest_rows(feed, WINDOW, step).query.sql_with_params()
    with connection.cursor() as cursor:
        # On empty test tables a sequential scan always looks cheapest; forbid it to see
        # whether an index can serve the window at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    field = feed.digest_window().field_name
    indexes = [i.name for i in feed.model._meta.indexes if i.fields[0] == field] if name != "games" else ["session_span"]
    assert indexes[0] in plan and "Seq Scan" not in plan, plan
