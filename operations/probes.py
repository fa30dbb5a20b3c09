"""``/healthz`` and ``/readyz`` for the platform (operations.md section 9): no key, no data.

- ``/healthz``: the process runs and answers. It never touches the database, so a
  database outage does not make an orchestrator restart every healthy process.
- ``/readyz``: the database answers, and every migration of the code is applied
  (``manage.py migrate`` has run): 200; otherwise 503 naming the check that failed. The
  reason never carries the database's own error text, which may name its host, port or
  role.

Bounded: a new connection waits at most ``DATABASE_CONNECT_TIMEOUT`` (lib/db_bounds.py); the
probe's queries at most ``READY_WITHIN``, shorter than the service's own stall bound,
since a prober gives up after a few seconds and an answer after that is of no use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import Error, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from lib.db_bounds import WATCHDOG, socket_of
from lib.migration_state import unapplied_migrations

# Seconds the probe's queries may take on PostgreSQL before their socket is cut.
READY_WITHIN = 3.0
# How many unapplied migrations a reason names.
NAMED = 5

DATABASE_DOWN = "the database does not answer ({error}); feeds answer 503 until it does"
NOT_MIGRATED = "{count} migration(s) not applied ({names}); run manage.py migrate"


@contextmanager
def bounded() -> Iterator[None]:
    """The block's database queries under READY_WITHIN (PostgreSQL; SQLite has no server
    to stall)."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()  # under DATABASE_CONNECT_TIMEOUT
    with WATCHDOG.armed(socket_of(connection), READY_WITHIN):
        yield


def readiness() -> tuple[str, str] | None:
    """None when ready; else the check that failed and why."""
    try:
        with bounded():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            missing = unapplied_migrations(connection)
    except Error as error:
        return "database", DATABASE_DOWN.format(error=type(error).__name__)
    if missing:
        return "migrations", NOT_MIGRATED.format(count=len(missing), names=", ".join(missing[:NAMED]))
    return None


@csrf_exempt  # read-only: other methods get 405, not CSRF's HTML 403
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "alive"})


@csrf_exempt  # read-only: other methods get 405, not CSRF's HTML 403
@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    failed = readiness()
    if failed is None:
        return JsonResponse({"status": "ready"})
    check, reason = failed
    return JsonResponse({"status": "not ready", "failed": check, "error": reason}, status=503)
