"""Expected pulls, what was notified about them, and the notifications to deliver
(assurance.md section 13).

An expectation names a key by its *name*, as the pull log does: a key rotated under the
same name (a new key made, the old one revoked) keeps its expectations.

A notification is written to the outbox (``Notification``, one ``Delivery`` per channel
configured at that moment) in the transaction that records the state change it reports
(``services.py``); ``delivery.py`` then sends it, and sends it again at every check until
the channel accepts it. Its body is fixed when it is written, so every retry sends the
same bytes under the same ``webhook-id``.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.models import Q


class State(models.TextChoices):
    UP = "up", "up"
    LATE = "late", "late"


class Expectation(models.Model):
    key_name = models.CharField("key", max_length=100, help_text="The name of the keys that should pull.")
    feed = models.CharField(max_length=64)
    every = models.PositiveIntegerField(help_text="Seconds: a complete pull at least this often.")
    grace = models.PositiveIntegerField(help_text="Seconds of lateness allowed on top of every.")
    # When it was set (or set again): counted as a pull, so that a new expectation is
    # not late before InTarget has had the time to pull once.
    set_at = models.DateTimeField()
    # What send_alerts last recorded ("" until its first check) and when: each change
    # from it is a notification.
    notified_state = models.CharField(max_length=4, choices=State.choices, blank=True, default="", editable=False)
    checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["key_name", "feed"]
        constraints = [models.UniqueConstraint(fields=["key_name", "feed"], name="alerts_expectation_key_feed")]

    def __str__(self) -> str:
        return f"{self.key_name} · {self.feed}"


class NotifiedGap(models.Model):
    """A gap (``sync_gaps``) of an expectation's key and feed that send_alerts has seen:
    notified, or already there when the expectation was first checked up (which sends
    nothing). Only a gap not seen before is notified."""

    expectation = models.ForeignKey(Expectation, on_delete=models.CASCADE, related_name="notified_gaps")
    start = models.DateTimeField("from")
    end = models.DateTimeField("to")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["expectation", "start", "end"], name="alerts_notified_gap")]


class NotificationType(models.TextChoices):
    LATE = "pull.late", "pull.late"
    RECOVERED = "pull.recovered", "pull.recovered"
    GAP = "pull.gap", "pull.gap"


class Notification(models.Model):
    """One change to tell the operator about. No link to the expectation: one removed
    after its change was noticed still has its notification delivered."""

    type = models.CharField(max_length=16, choices=NotificationType.choices)
    key_name = models.CharField("key", max_length=100)
    feed = models.CharField(max_length=64)
    # The webhook's JSON body, exactly as sent (the e-mail is written from it too).
    body = models.TextField(editable=False)
    # Standard Webhooks' message id: unique per notification, the same on every retry.
    webhook_id = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.key_name} · {self.feed}"

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


class Channel(models.TextChoices):
    WEBHOOK = "webhook", "webhook"
    EMAIL = "email", "e-mail"


class Delivery(models.Model):
    """A notification on one channel: pending until the channel accepts it (a 2xx
    answer, an accepted message), then never sent on it again."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    attempts = models.PositiveIntegerField(default=0)
    # The kind of the last failure only ("HTTP 500", "ConnectionRefusedError"): never its
    # text, which may carry the webhook's URL or what an SMTP server echoed back.
    last_error = models.CharField(max_length=100, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="alerts_delivery_channel")]
        indexes = [
            # What every check looks for: the pending deliveries of a channel, oldest first.
            models.Index(
                fields=["channel", "notification"], condition=Q(delivered_at__isnull=True), name="alerts_delivery_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification} by {self.channel}"
