import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, close_old_connections

from alerts.configuration import configured_channels
from alerts.delivery import Delivered, deliver_pending
from alerts.models import Channel
from alerts.services import Checked, expectations_check
from lib.pipes import PipeableCommand

logger = logging.getLogger(__name__)

NO_CHANNEL = "no alert channel is configured (ALERT_WEBHOOK_URL, ALERT_EMAIL_TO): states are tracked, nothing is sent"
NOTHING_SENT = "nothing was sent: no alert channel is configured (set ALERT_WEBHOOK_URL or ALERT_EMAIL_TO)"


@contextmanager
def stopped_by_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop``: the check in progress ends cleanly (a delivery being
    sent is finished and recorded) and the command returns. A second signal acts as usual
    (SIGINT: KeyboardInterrupt), for an operator who will not wait. Only the main thread
    can install handlers; elsewhere (a test's thread) ``stop`` is the caller's to set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = {signal.SIGTERM: "SIGTERM", signal.SIGINT: "SIGINT"}
    previous = {number: signal.getsignal(number) for number in names}

    def handle(number: int, frame: Any) -> None:
        logger.info("send_alerts: %s received, stopping after the work in progress", names[number])
        stop.set()
        signal.signal(number, previous[number])

    for number in names:
        signal.signal(number, handle)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class Command(PipeableCommand):
    help = (
        "Check every expected pull (expect_pulls) and send a notification of each change (pull.late, "
        "pull.recovered, pull.gap) by webhook and e-mail; every ALERT_INTERVAL seconds until SIGTERM or SIGINT, "
        "or once with --once (then a non-zero exit status when a notification could not be delivered)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="check once, deliver, and exit")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        stop = threading.Event()
        channels = configured_channels()
        if not once:
            self.stdout.write(
                f"send_alerts: checking every {settings.ALERT_INTERVAL:g} s; "
                + (f"sending by {', '.join(describe(channel) for channel in channels)}" if channels else NO_CHANNEL)
                + "; SIGTERM or SIGINT stops it"
            )
        undelivered = 0
        with stopped_by_signals(stop):
            while not stop.is_set():
                try:
                    checked = expectations_check(stop=stop)
                    delivered = deliver_pending(stop=stop)
                except DatabaseError as error:
                    # The database is down or not migrated yet: said, and tried again.
                    if once:
                        raise CommandError(f"the check failed: the database answered {type(error).__name__}") from None
                    logger.warning("send_alerts: the check failed (%s); trying again in %g s",
                                   type(error).__name__, settings.ALERT_INTERVAL)
                else:
                    undelivered = delivered.undelivered
                    self.report(checked, delivered, channels, every_time=once)
                if once:
                    break
                stop.wait(settings.ALERT_INTERVAL)
                # A connection the database dropped (or that outlived CONN_MAX_AGE) since
                # the last check is replaced before the next.
                close_old_connections()
        if not once:
            self.stdout.write("send_alerts: stopped")
        elif undelivered and not stop.is_set():
            raise CommandError(f"{undelivered} notification deliveries could not be made; they are sent again at the next check")

    def report(self, checked: Checked, delivered: Delivered, channels: list[str], *, every_time: bool) -> None:
        """One line per check with --once; in the loop only when something was written or
        sent, so that a quiet service logs nothing."""
        lines = []
        if every_time or checked.written:
            states = ", ".join(f"{checked.states[state]} {state}" for state in ("up", "late") if checked.states[state])
            written = ", ".join(f"{count} {type}" for type, count in sorted(checked.written.items()))
            lines.append(
                f"checked {checked.checked} expected pulls" + (f" ({states})" if states else "")
                + f"; notifications: {written or 'none'}"
                + (f"; {checked.skipped} left to another process or the next check" if checked.skipped else "")
            )
        if checked.written and not channels:
            lines.append(NOTHING_SENT)
        for channel, count in delivered.sent.items():
            lines.append(f"delivered by {describe(channel)}: {count}")
        for channel, kind in delivered.failed.items():
            lines.append(
                f"not delivered by {describe(channel)} ({kind}): {delivered.waiting[channel]} wait for the next check"
            )
        for channel, count in delivered.unconfigured.items():
            lines.append(f"{count} notifications wait for {describe(channel)}, which is not configured now")
        if every_time and not channels and not checked.written:
            lines.append(NOTHING_SENT)
        for line in lines:
            self.stdout.write(line)


def describe(channel: str) -> str:
    if channel == Channel.EMAIL:
        return f"e-mail to {', '.join(settings.ALERT_EMAIL_TO)}" if settings.ALERT_EMAIL_TO else "e-mail"
    return "webhook"
