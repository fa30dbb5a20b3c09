"""One entry per feed request that carried a recognised key, written once it has ended."""

from __future__ import annotations

from django.db import models

from feeds.columns import format_timestamp


# A pull served its body whole: answered 200 and sent to the end. ``complete`` alone is
# not that: a refusal (403, 404…) sends its short JSON body to the end too. The one
# definition, for the database (this) and for a pull in hand (``Pull.served_whole``).
SERVED_WHOLE = models.Q(status=200, complete=True)
# A pull that served a whole window: served whole, with both bounds.
COMPLETE_WINDOW = SERVED_WHOLE & models.Q(window_from__isnull=False, window_to__isnull=False)


class PullQuerySet(models.QuerySet):
    def complete_windows(self) -> PullQuerySet:
        """The pulls that served a whole window (``COMPLETE_WINDOW``). They alone cover
        window time: the gaps, the console's rows per hour and its holes all read them."""
        return self.filter(COMPLETE_WINDOW)


class Pull(models.Model):
    started_at = models.DateTimeField(db_index=True)
    # The key's name when it pulled (a key may be renamed or deleted later).
    key_name = models.CharField("key", max_length=100)
    api_key = models.ForeignKey(
        "access.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="API key"
    )
    feed = models.CharField(max_length=64)
    window_from = models.DateTimeField("from", null=True, blank=True)
    window_to = models.DateTimeField("to", null=True, blank=True)
    # `from` and `to` as the request carried them, as text, whatever the answer: a refused
    # window (a 400) is logged as it was sent, not as nothing (operations.md section 8).
    # A database default too: an instance not yet upgraded keeps writing its pulls.
    from_sent = models.CharField("from, as sent", max_length=64, blank=True, default="", db_default="")
    to_sent = models.CharField("to, as sent", max_length=64, blank=True, default="", db_default="")
    format = models.CharField(max_length=8)
    status = models.PositiveSmallIntegerField()
    rows = models.BigIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    client = models.CharField(max_length=64, blank=True)
    complete = models.BooleanField(default=False, help_text="The body was sent to its end.")

    objects = PullQuerySet.as_manager()

    class Meta:
        verbose_name = "pull"
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["key_name", "feed", "started_at"], name="operations_pull_key_feed_idx"),
            # The console's chart reads the windows that reach into its last hours
            # (selectors.served_in_range), not the whole log.
            models.Index(fields=["window_to"], name="operations_pull_window_to_idx"),
            # sync_gaps reads each line's complete windows in (from, to) order: from this
            # index alone, without sorting the log (PostgreSQL: an index-only scan, the
            # columns of COMPLETE_WINDOW included).
            models.Index(
                fields=["key_name", "feed", "window_from", "window_to"],
                include=["status", "complete"],
                name="operations_pull_windows_idx",
            ),
        ]

    @property
    def served_whole(self) -> bool:
        """``SERVED_WHOLE``, of this pull."""
        return self.status == 200 and self.complete

    @property
    def from_text(self) -> str:
        """``from`` as the pull log shows it: the window's bound when it was read, else the
        text the request carried ("" when it had none)."""
        return format_timestamp(self.window_from) if self.window_from else self.from_sent

    @property
    def to_text(self) -> str:
        return format_timestamp(self.window_to) if self.window_to else self.to_sent

    def __str__(self) -> str:
        return f"{self.key_name} {self.feed} {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"


class Console(Pull):
    """The operator's console (``operations/console.py``): no table of its own but a
    proxy of the pull log, so that the admin index lists it and its view permission
    (``operations.view_console``) can be granted like any other."""

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "console"
