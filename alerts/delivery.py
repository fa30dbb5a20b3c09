"""Sending the outbox: every pending delivery of each configured channel, oldest first.

A delivery counts as done once the channel accepted it (``channels.py``); one that was
not stays pending and is sent again at the next check, until it is: none is lost, none
repeated after its delivery (``claims.py``: by one process only). The first failure on
a channel ends that channel's turn for this check, so that a receiver that is down costs
one timeout per check, not one per notification, and notifications arrive in order.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from alerts.channels import SENDERS, NotDelivered
from alerts.claims import claimed, delivery_turn
from alerts.configuration import configured_channels
from alerts.models import Channel, Delivery

logger = logging.getLogger(__name__)


def pending_deliveries(channel: str) -> QuerySet[Delivery]:
    """A channel's deliveries not yet accepted, oldest notification first."""
    return Delivery.objects.filter(channel=channel, delivered_at__isnull=True).order_by(
        "notification__created_at", "notification_id"
    )


@dataclass
class Delivered:
    """What one delivery turn did, per channel."""

    sent: Counter[str] = field(default_factory=Counter)
    # The kind of the failure that ended a channel's turn, and how many wait for the next.
    failed: dict[str, str] = field(default_factory=dict)
    waiting: Counter[str] = field(default_factory=Counter)
    # Pending on a channel that is no longer configured (they wait until it is again).
    unconfigured: Counter[str] = field(default_factory=Counter)
    stopped: bool = False

    @property
    def undelivered(self) -> int:
        return sum(self.waiting.values()) + sum(self.unconfigured.values())


def deliver_pending(*, stop: threading.Event | None = None) -> Delivered:
    """Send what is pending, until done or ``stop`` is set (then after the delivery in
    progress, which is finished and recorded: it is never left half done)."""
    stop = stop or threading.Event()
    delivered = Delivered()
    configured = configured_channels()
    with delivery_turn(stop) as turn:
        if not turn:
            delivered.stopped = True
            return delivered
        for channel in Channel:
            pending = list(pending_deliveries(channel).values_list("pk", flat=True))
            if not pending:
                continue
            if channel not in configured:
                delivered.unconfigured[channel] = len(pending)
                continue
            sender = SENDERS[channel]()
            try:
                for n, delivery_id in enumerate(pending):
                    if stop.is_set():
                        delivered.stopped = True
                        delivered.waiting[channel] = len(pending) - n
                        break
                    outcome = _deliver(sender, delivery_id)
                    if outcome not in (SENT, SKIPPED):
                        delivered.failed[channel] = outcome
                        delivered.waiting[channel] = len(pending) - n
                        break
                    delivered.sent[channel] += outcome == SENT
            finally:
                sender.close()
    return delivered


SENT, SKIPPED = "sent", "skipped"


def _deliver(sender: object, delivery_id: int) -> str:
    """Send one delivery and record the outcome: SENT, SKIPPED (delivered meanwhile, or
    another process's to send), or the kind of the failure."""
    with claimed(delivery_id) as delivery:
        if delivery is None:
            return SKIPPED
        notification = delivery.notification
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        try:
            sender.send(notification)  # type: ignore[attr-defined]
        except NotDelivered as failure:
            delivery.last_error = failure.kind[:100]
            delivery.save(update_fields=["attempts", "last_attempt_at", "last_error"])
            logger.warning(
                "notification %s (%s, key %s, feed %s) not delivered by %s: %s (attempt %s); sent again at the next check",
                notification.pk, notification.type, notification.key_name, notification.feed,
                delivery.channel, failure.kind, delivery.attempts,
            )
            return failure.kind
        delivery.delivered_at = timezone.now()
        delivery.save(update_fields=["attempts", "last_attempt_at", "delivered_at"])
        return SENT
