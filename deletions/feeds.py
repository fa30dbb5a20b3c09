from deletions.models import Tombstone
from feeds import columns as k
from feeds.registry import Column, Digest, Feed

FEEDS = (
    # One tombstone per row deleted from a served feed. About other feeds (feed_field):
    # every pull key may ask, and sees the tombstones of the feeds it may pull.
    Feed(
        name="deletions",
        model=Tombstone,
        window_field="deleted_at",
        id_field="row_id",
        feed_field="feed",
        importable=False,
        # assurance.md section 14: a tombstone's text is its feed, id and deletion time.
        digest=Digest(("feed", "id", "deleted_at")),
        columns=(
            Column("feed", k.TEXT, required=True),
            Column("id", k.ID, required=True, source="row_id"),
            Column("deleted_at", k.TIMESTAMP, required=True),
        ),
    ),
)
