"""Prometheus metrics (operations.md section 9): what the feeds served, and how long
requests waited for their windows to become final.

Fed by signals, so that no metrics code sits in the feed machinery:
``answer_ended`` (api/answer_end.py) once every feed answer has been sent, and
``push_ended`` (api/push_end.py) once every push answer has (lib/when_sent.py: when
that is), ``finality_waited`` (serving/finality.py) at the end of every wait for
writers, and ``replica_waited`` (serving/replicas.py) once a feed answer chose its
database.

Under gunicorn each worker is a process of its own: prometheus-client's multiprocess
mode (``PROMETHEUS_MULTIPROC_DIR``, set by gunicorn.conf.py before the workers fork)
keeps every worker's values in a file of that folder, and a scrape, whichever worker
answers it, sums them all. Without that variable (``manage.py runserver``, the tests'
own process) the values live in this process's memory.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from access.clients import Network, client_address, in_any, parse_address, parse_networks, trusted_proxies
from api.answer_end import EndedAnswer
from api.push_end import EndedPush
from feeds.registry import registry, served_feeds
from serving.replicas import OUTCOMES as REPLICA_OUTCOMES

# No `_created` series: they exist only in a single process (not in multiprocess mode),
# and Prometheus does not need them.
disable_created_metrics()

# Our own registry, not prometheus-client's global one: /metrics shows these metrics and
# nothing a library may have registered there.
REGISTRY = CollectorRegistry(auto_describe=True)

# Every feed answer, by feed and status, 401s included. A feed name nobody serves is
# counted as UNKNOWN_FEED, so that a client cannot grow the metrics with made-up names.
FEED_REQUESTS = Counter(
    "intarget_export_feed_requests",
    "Feed answers (GET/HEAD /api/<feed>), by feed and HTTP status.",
    ["feed", "status"],
    registry=REGISTRY,
)
FEED_ROWS = Counter(
    "intarget_export_feed_rows", "Data rows sent by feed answers.", ["feed"], registry=REGISTRY
)
FEED_BYTES = Counter(
    "intarget_export_feed_bytes",
    "Body bytes sent by feed answers (error bodies included).",
    ["feed"],
    registry=REGISTRY,
)
FEED_INCOMPLETE = Counter(
    "intarget_export_feed_incomplete",
    "Feed answers whose body was not sent to its end (client gone, stream broken).",
    ["feed"],
    registry=REGISTRY,
)
# A window of a year's history may stream for minutes; one of an hour, milliseconds.
STREAM_SECONDS = Histogram(
    "intarget_export_feed_stream_seconds",
    "Duration of 200 feed answers, from the request to the last byte sent.",
    ["feed"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
FINALITY_WAITS = Counter(
    "intarget_export_finality_waits",
    "Requests that found writers still open in their window, by how the wait ended: "
    "final (the window became final), gave_up (503 after FINALITY_MAX_WAIT), "
    "no_slot (503 at once, every waiting slot taken).",
    ["outcome"],
    registry=REGISTRY,
)
# Up to FINALITY_MAX_WAIT (default 10 s); writers usually commit within milliseconds.
FINALITY_WAIT_SECONDS = Histogram(
    "intarget_export_finality_wait_seconds",
    "Time requests waited for open writers before their window became final or they gave up.",
    ["outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60),
    registry=REGISTRY,
)

# Pushes (POST /api/<feed>): counted apart from the answers above, which are pulls.
FEED_PUSHES = Counter(
    "intarget_export_feed_pushes",
    "Push answers (POST /api/<feed>), by feed and HTTP status.",
    ["feed", "status"],
    registry=REGISTRY,
)
FEED_PUSHED_ROWS = Counter(
    "intarget_export_feed_pushed_rows", "Rows upserted by pushes answered 200.", ["feed"], registry=REGISTRY
)
FEED_PUSHED_BYTES = Counter(
    "intarget_export_feed_pushed_bytes", "Push body bytes read (refused pushes included).", ["feed"],
    registry=REGISTRY,
)
# With DATABASE_REPLICA_URL: where each feed answer read, and how long choosing took.
REPLICA_WAITS = Counter(
    "intarget_export_replica_waits",
    "Feed answers read with replicas configured, by where they read: replica (one had "
    "replayed the window's writes, at once or within REPLICA_MAX_WAIT), primary (none had: "
    "REPLICA_FALLBACK=primary), unavailable (none had: 503), unchecked (REPLICA_WAIT_FOR_REPLAY off).",
    ["outcome"],
    registry=REGISTRY,
)
REPLICA_WAIT_SECONDS = Histogram(
    "intarget_export_replica_wait_seconds",
    "Time feed answers waited for a replica to replay the window's writes (or gave up).",
    ["outcome"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)

UNKNOWN_FEED = "unknown"
OUTCOMES = ("final", "gave_up", "no_slot")


@cache
def start_series() -> None:
    """Every feed's and outcome's series at 0, so that a scrape shows them all before their
    first event and rate() has a start. Once per process, at its first scrape: in one
    worker's file is enough for the sum, and a manage.py command never writes one."""
    for feed in [*served_feeds(), UNKNOWN_FEED]:
        for metric in (FEED_ROWS, FEED_BYTES, FEED_INCOMPLETE, STREAM_SECONDS):
            metric.labels(feed=feed)
    for feed in [*pushable_feeds(), UNKNOWN_FEED]:
        for metric in (FEED_PUSHED_ROWS, FEED_PUSHED_BYTES):
            metric.labels(feed=feed)
    for outcome in OUTCOMES:
        FINALITY_WAITS.labels(outcome=outcome)
        if outcome != "no_slot":
            FINALITY_WAIT_SECONDS.labels(outcome=outcome)
    if settings.REPLICA_DATABASES:
        for outcome in REPLICA_OUTCOMES:
            REPLICA_WAITS.labels(outcome=outcome)
            REPLICA_WAIT_SECONDS.labels(outcome=outcome)


def count_answer(sender: object, answer: EndedAnswer, **kwargs: object) -> None:
    """``answer_ended`` receiver."""
    feed = answer.feed if answer.feed in served_feeds() else UNKNOWN_FEED
    FEED_REQUESTS.labels(feed=feed, status=str(answer.status)).inc()
    FEED_ROWS.labels(feed=feed).inc(answer.rows)
    FEED_BYTES.labels(feed=feed).inc(answer.bytes)
    if not answer.complete:
        FEED_INCOMPLETE.labels(feed=feed).inc()
    if answer.status == 200:
        STREAM_SECONDS.labels(feed=feed).observe(answer.duration_ms / 1000)


def pushable_feeds() -> list[str]:
    return [name for name, feed in registry().items() if feed.importable]


def count_push(sender: object, push: EndedPush, **kwargs: object) -> None:
    """``push_ended`` receiver."""
    feed = push.feed if push.feed in pushable_feeds() else UNKNOWN_FEED
    FEED_PUSHES.labels(feed=feed, status=str(push.status)).inc()
    FEED_PUSHED_ROWS.labels(feed=feed).inc(push.rows)
    FEED_PUSHED_BYTES.labels(feed=feed).inc(push.bytes)


def count_finality_wait(sender: object, outcome: str, seconds: float, **kwargs: object) -> None:
    """``finality_waited`` receiver."""
    FINALITY_WAITS.labels(outcome=outcome).inc()
    if outcome != "no_slot":  # those never waited
        FINALITY_WAIT_SECONDS.labels(outcome=outcome).observe(seconds)


def count_replica_wait(sender: object, outcome: str, seconds: float, **kwargs: object) -> None:
    """``replica_waited`` receiver."""
    REPLICA_WAITS.labels(outcome=outcome).inc()
    REPLICA_WAIT_SECONDS.labels(outcome=outcome).observe(seconds)


# Collectors read at scrape time, from the database rather than from counts kept by the
# processes: another app registers its own in its AppConfig.ready (alerts' gauges of
# expected pulls), so that operations imports none of them.
SCRAPE_COLLECTORS: list[Collector] = []


def register_scrape_collector(collector: Collector) -> None:
    """Add ``collector`` to every scrape (once, however often ``ready`` runs)."""
    if all(type(known) is not type(collector) for known in SCRAPE_COLLECTORS):
        SCRAPE_COLLECTORS.append(collector)


def exposition() -> tuple[bytes, str]:
    """The text exposition of every metric, summed over every process of the service
    when they share a PROMETHEUS_MULTIPROC_DIR, and the scrape-time collectors'; and its
    content type."""
    start_series()
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    # A registry per scrape, as prometheus-client's multiprocess documentation asks.
    registry = CollectorRegistry()
    registry.register(_WorkerFiles(folder) if folder else REGISTRY)
    for collector in SCRAPE_COLLECTORS:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _WorkerFiles:
    """prometheus-client's MultiProcessCollector, less the files of a worker that is just
    starting: such a file is created empty and then sized, and reading it in between
    raised struct.error, a 500 for the scrape (seen when workers were replaced)."""

    def __init__(self, folder: str):
        self.folder = folder

    def collect(self) -> Iterable[Metric]:
        return multiprocess.MultiProcessCollector.merge(
            [path for path in glob.glob(os.path.join(self.folder, "*.db")) if _size(path) > 0], accumulate=True
        )


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:  # removed meanwhile
        return 0


# Who may scrape: METRICS_ALLOW, checked at startup (OperationsConfig.ready).
BAD_ALLOW = "METRICS_ALLOW must be comma-separated networks or addresses, e.g. 127.0.0.1/32,10.0.0.0/8; {error}"
REFUSED = "metrics are answered only to the networks in METRICS_ALLOW; this client ({client}) is not in them"
UNKNOWN_PROXY = (
    "metrics are not answered through a proxy that is not in TRUSTED_PROXIES: behind it, every client "
    "would look like the proxy itself; list it there, or scrape the service directly"
)


def allowed_networks() -> tuple[Network, ...]:
    """METRICS_ALLOW parsed; ImproperlyConfigured when a value does not parse."""
    try:
        return parse_networks(tuple(settings.METRICS_ALLOW))
    except ValueError as error:
        raise ImproperlyConfigured(BAD_ALLOW.format(error=error)) from None


@csrf_exempt  # read-only: other methods get 405, not CSRF's HTML 403
@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """``GET /metrics``: the exposition, to METRICS_ALLOW's clients; 403 JSON to others."""
    peer = parse_address(request.META.get("REMOTE_ADDR", ""))
    if "HTTP_X_FORWARDED_FOR" in request.META and not in_any(peer, trusted_proxies()):
        # Fail closed: nginx on the same host with TRUSTED_PROXIES left empty would
        # otherwise make the whole internet 127.0.0.1. A scrape never sends the header.
        return JsonResponse({"error": UNKNOWN_PROXY}, status=403)
    client = client_address(request)
    if not in_any(parse_address(client), allowed_networks()):
        return JsonResponse({"error": REFUSED.format(client=client)}, status=403)
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
