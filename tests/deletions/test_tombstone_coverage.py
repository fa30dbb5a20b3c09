"""Every served feed's rows leave tombstones when deleted: the triggers' list of tables
(deletions/triggers.py) names each served feed but deletions, with the table, id and
window timestamp that feed serves its rows by."""

from deletions.triggers import TRACKED
from feeds.registry import served_feeds
from games.models import GameSession


def test_every_served_feed_but_deletions_has_its_table_tracked():
    expected = {}
    for name, feed in served_feeds().items():
        if name == "deletions":
            continue
        if name == "games":  # served from the sessions the database keeps
            expected[name] = (GameSession._meta.db_table, "session_id", "updated_at")
        else:
            id_column = feed.model._meta.get_field(feed.id_field).column
            expected[name] = (feed.model._meta.db_table, id_column, feed.window_field)
    assert {t.feed: (t.table, t.id_column, t.stamp_column) for t in TRACKED} == expected
