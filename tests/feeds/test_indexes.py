"""Every window is an index range scan in (stamp, id) order (deletions: (stamp as served,
feed, id)): no table scan, no sort; the games window (sorted, as its rows are sessions)
is found through its indexes too."""

import pytest
from django.db import connection

from deletions import served_order
from feeds.registry import served_feeds
from serving import copy_stream
from tests.support.factories import at

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]

START, END = at("2020-10-10 07:00:00"), at("2020-10-10 08:00:00")


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # On empty test tables a sequential scan always looks cheapest; forbid it (and
        # sorting) to see whether an index can serve the range *and* the order at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("name", sorted(name for name, feed in served_feeds().items() if not feed.orders_own_rows))
def test_a_feed_window_is_an_index_range_scan_in_order(name):
    feed = served_feeds()[name]
    (index,) = [i.name for i in feed.model._meta.indexes if i.fields[0] == feed.window_field]
    if feed.feed_field is not None:
        # Ordered by the served second (feeds/served_second.py): its own index, made by
        # the app's migration.
        index = served_order.INDEX
    text = plan(feed.queryset(START, END))
    assert f"Index Scan using {index}" in text, text
    assert "Sort" not in text and "Seq Scan" not in text, text


def test_the_games_window_is_driven_by_the_session_span_and_recording_time_indexes():
    # The window's sessions from the summary's span index (games/session_span.py) and,
    # for late recordings, the actions' recording index; no action read by its time.
    text = plan(served_feeds()["games"].queryset(START, END))
    for index in ("session_span", "action_recorded", "games_gamesession_pkey"):
        assert index in text, text
    assert "Seq Scan" not in text, text


def test_the_games_rows_are_formatted_after_they_are_sorted():
    # copy_stream's LIMIT ALL: the sort carries the session rows, and their JSON is made
    # as they leave it, so the first row does not wait for every row's formatting.
    feed = served_feeds()["games"]
    queryset = feed.queryset(START, END).values_list(copy_stream._json_expression(feed.all_columns()))
    sql, params = copy_stream._sql(feed, queryset, "default")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (VERBOSE) {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    sort = next(n for n, line in enumerate(lines) if "->  Sort" in line or line.startswith("Sort"))
    sorted_output = next(line for line in lines[sort:] if line.strip().startswith("Output:"))
    assert "to_json" not in sorted_output, "\n".join(lines)
    assert any("to_json" in line for line in lines[:sort]), "\n".join(lines)


def test_ids_and_references_carry_no_extra_pattern_index():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'payments_transaction' ORDER BY indexname"
        )
        names = [row[0] for row in cursor.fetchall()]
    assert [name for name in names if name.endswith("_like")] == []
    assert "transaction_window" in names and "payments_transaction_pkey" in names
