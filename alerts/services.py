"""Writing expectations, and each change of their state to the outbox.

``expectation_check`` compares what an expectation is now (``selectors.py``) with what
was last recorded, and in one transaction records the new state and writes one
notification per change, with a delivery per channel configured then: a state change is
never recorded without its notification, nor a notification written for a change that
was not recorded. Several ``send_alerts`` may check at once: the expectation's row is
locked for the write (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, another process skips it;
SQLite: the transaction holds the database's write lock), and a check older than the
last recorded one, or made before the expectation was set again, writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from alerts.configuration import configured_channels
from alerts.models import Delivery, Expectation, Notification, NotificationType, NotifiedGap, State
from alerts.selectors import ExpectationState, expectation_state, expectations_listed, states_of
from alerts.validation import Expected
from feeds.columns import format_timestamp
from operations.selectors import Gap


@transaction.atomic
def expectations_set(*, expected: Expected, now: dt.datetime | None = None) -> list[Expectation]:
    """Set (or set again: replace) the expectation of each of ``expected``'s feeds. The
    moment it is set counts as a pull. What was notified stays: a late one that the new
    durations make up is notified as recovered."""
    now = now or timezone.now()
    return [
        Expectation.objects.update_or_create(
            key_name=expected.key_name,
            feed=feed,
            defaults={"every": expected.every, "grace": expected.grace, "set_at": now},
        )[0]
        for feed in expected.feeds
    ]


@transaction.atomic
def expectations_remove(*, key_name: str, feeds: Sequence[str] | None = None) -> list[str]:
    """Remove the key name's expectations of ``feeds`` (``None``: all); return the feeds
    removed. Their notifications already written are still delivered."""
    expectations = Expectation.objects.filter(key_name=key_name)
    if feeds is not None:
        expectations = expectations.filter(feed__in=feeds)
    removed = list(expectations.order_by("feed").values_list("feed", flat=True))
    expectations.delete()
    return removed


def time_or_none(value: dt.datetime | None) -> str | None:
    return format_timestamp(value) if value is not None else None


def notification_body(type: str, state: ExpectationState, gap: Gap | None = None) -> str:
    """The webhook's JSON body (assurance.md section 13), in the contract's key order."""
    return json.dumps(
        {
            "type": type,
            "key": state.key,
            "feed": state.feed,
            "state": str(state.state),
            "last_pull_at": time_or_none(state.last_pull_at),
            "last_to": time_or_none(state.last_to),
            "gap": {"from": format_timestamp(gap.start), "to": format_timestamp(gap.end)} if gap else None,
            "at": format_timestamp(state.now),
        }
    )


def changes(state: ExpectationState, notified: str, seen: set[tuple[dt.datetime, dt.datetime]]) -> list[tuple[str, Gap | None]]:
    """The notifications due: the state's change from ``notified`` ("" before the first
    check), then each gap not ``seen`` before, oldest first. An expectation that is up
    when first checked sends nothing: its gaps then are taken as seen."""
    due: list[tuple[str, Gap | None]] = []
    if state.state == State.LATE and notified != State.LATE:
        due.append((NotificationType.LATE, None))
    elif state.state == State.UP and notified == State.LATE:
        due.append((NotificationType.RECOVERED, None))
    if notified == "" and state.state == State.UP:
        return due
    due.extend((NotificationType.GAP, gap) for gap in state.gaps if (gap.start, gap.end) not in seen)
    return due


def expectation_check(
    expectation: Expectation, *, now: dt.datetime, state: ExpectationState | None = None
) -> tuple[str, list[Notification]] | None:
    """Check one expectation at ``now``: its state (``state``, when it was read already,
    as of the same ``now``) and the notifications written (``None`` when another check
    holds it or got there later, or it was set again or removed meanwhile: the next
    check sees it)."""
    if state is None:
        state = expectation_state(expectation, now=now)
    channels = configured_channels()
    with transaction.atomic():
        locked = (
            Expectation.objects.select_for_update(skip_locked=True)
            .filter(pk=expectation.pk, every=state.every, grace=state.grace, set_at=state.set_at)
            .first()
        )
        if locked is None or (locked.checked_at is not None and locked.checked_at >= now):
            return None
        seen = set(locked.notified_gaps.values_list("start", "end"))
        written = []
        for type, gap in changes(state, locked.notified_state, seen):
            notification = Notification.objects.create(
                type=type,
                key_name=state.key,
                feed=state.feed,
                body=notification_body(type, state, gap),
                webhook_id=f"msg_{uuid.uuid4().hex}",
                created_at=now,
            )
            Delivery.objects.bulk_create(Delivery(notification=notification, channel=channel) for channel in channels)
            written.append(notification)
        NotifiedGap.objects.bulk_create(
            NotifiedGap(expectation=locked, start=gap.start, end=gap.end)
            for gap in state.gaps
            if (gap.start, gap.end) not in seen
        )
        locked.notified_state = state.state
        locked.checked_at = now
        locked.save(update_fields=["notified_state", "checked_at"])
    return state.state, written


@dataclass
class Checked:
    """What one check of every expectation found and wrote."""

    states: Counter[str] = field(default_factory=Counter)
    written: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    stopped: bool = False

    @property
    def checked(self) -> int:
        return sum(self.states.values())


def expectations_check(*, now: dt.datetime | None = None, stop: threading.Event | None = None) -> Checked:
    """Check every expectation at ``now``, one transaction each; a ``stop`` set meanwhile
    ends the check between two of them (the rest are checked next time). Their states
    are read first, all at once (``states_of``: two reads, not two per expectation)."""
    now = now or timezone.now()
    checked = Checked()
    expectations = list(expectations_listed())
    for expectation, state in zip(expectations, states_of(expectations, now=now), strict=True):
        if stop is not None and stop.is_set():
            checked.stopped = True
            break
        result = expectation_check(expectation, now=now, state=state)
        if result is None:
            checked.skipped += 1
            continue
        checked.states[result[0]] += 1
        checked.written.update(notification.type for notification in result[1])
    return checked
