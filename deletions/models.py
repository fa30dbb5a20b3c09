from django.db import models

from feeds.model_fields import ExternalIdField, external_id


class Tombstone(models.Model):
    """A row deleted from a served feed: which feed, the row's id in it (``contacts``: the
    player_id; ``games``: the session_id) and when, by the database clock.

    Written only by the database's triggers on the feeds' tables (deletions/triggers.py),
    in the deleting transaction itself, so that finality covers it as any stamp; never
    by the service, and never changed.
    """

    # Ids and feed names in bytewise order on every database (ExternalIdField), as the
    # deletions feed serves them: (deleted_at, feed, id).
    feed = ExternalIdField(max_length=32)
    row_id = external_id()
    deleted_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The window, in the order it is served.
            models.Index(fields=["deleted_at", "feed", "row_id"], name="tombstone_window"),
            # The tombstones of one row: a row inserted again is stamped after them.
            models.Index(fields=["feed", "row_id"], name="tombstone_row"),
        ]

    def __str__(self) -> str:
        return f"{self.feed} {self.row_id} deleted"
