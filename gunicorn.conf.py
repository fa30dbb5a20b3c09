"""gunicorn settings shipped with the service (README, Dockerfile and bench/ use them).

Threaded workers: a stream of a year of history may run for minutes. With sync workers
the request itself must answer the arbiter's heartbeat, and the default 30 s timeout
killed long streams half-way; with gthread the heartbeat comes from the worker's main
loop, so `timeout` only catches a worker that is truly stuck. gunicorn's own gthread
worker could hang for graceful_timeout on Ctrl-C (its quit handler deadlocked when
re-entered): the worker is lib/gunicorn_worker.py's, gthread with a stop that works.

In the shipped deployment gunicorn is reached only through nginx (deploy/nginx.conf):
nginx absorbs slow clients (a slowloris holds an nginx connection, not one of the few
gunicorn threads) and talks HTTP/1.1 to gunicorn, so broken streams stay visible.
"""

import fcntl
import glob
import os
import shutil
import tempfile
import time

bind = os.getenv("BIND", "127.0.0.1:8000")
# Ctrl-C and SIGQUIT: a quick stop (answers in flight cut, visibly); SIGTERM: a graceful
# one (answers in flight finish, up to graceful_timeout). docs/deployment.md#stopping.
worker_class = "lib.gunicorn_worker.StoppableThreadWorker"
workers = int(os.getenv("WEB_CONCURRENCY", "2"))
threads = int(os.getenv("GUNICORN_THREADS", "4"))
timeout = int(os.getenv("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.getenv("GUNICORN_GRACEFUL_TIMEOUT", "300"))
keepalive = 5
accesslog = "-"
errorlog = "-"
# No credential in the access log: gunicorn's default format has %(u)s, the Basic-auth
# user name, and a key sent as that user name was logged in clear. No referer and no
# header either. The logger class also blanks those fields and the values of query
# parameters other than the window's, whatever the format (intarget_export/access_log.py).
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
logger_class = "intarget_export.access_log.AccessLogWithoutSecrets"
# Header limits no narrower than deploy/nginx.conf's (8 KiB lines), so that what nginx
# lets through is answered by the service in JSON, never by gunicorn's HTML error page.
limit_request_line = 8190
limit_request_fields = 1000
# Recycle workers now and then; a long stream finishes before its worker exits.
max_requests = 10000
max_requests_jitter = 1000


# Metrics (operations/metrics.py): every worker keeps its values in a file of this folder
# and /metrics sums them, so that a scrape sees the whole service, not the one worker that
# answered it. Set here, in the master, before any worker forks or imports
# prometheus-client (which reads it at import). Unset: a new temporary folder for each
# gunicorn run, so that two instances on one machine never mix their counts. Left as
# it is when the master re-reads this file (on SIGHUP), so counts survive a reload.
METRICS_TEMP_PREFIX = "intarget-export-metrics-"
# Held (flock) by the master and its workers while they run: a temporary folder whose lock
# is free belongs to a gunicorn killed before on_exit (SIGKILL) and is removed.
METRICS_LOCK = ".held"


def remove_abandoned_metrics_folders():
    for folder in glob.glob(os.path.join(tempfile.gettempdir(), METRICS_TEMP_PREFIX + "*")):
        try:
            if time.time() - os.path.getmtime(folder) < 60:
                continue  # maybe another gunicorn starting, between making its folder and locking it
            fd = os.open(os.path.join(folder, METRICS_LOCK), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            finally:
                os.close(fd)
        except OSError:
            continue  # held: that gunicorn still runs (or the folder is not ours to remove)
        shutil.rmtree(folder, ignore_errors=True)


if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    remove_abandoned_metrics_folders()
    _folder = tempfile.mkdtemp(prefix=METRICS_TEMP_PREFIX)
    # A bare descriptor, never closed: inherited by every worker, it holds the lock for as
    # long as any process of this gunicorn runs.
    fcntl.flock(os.open(os.path.join(_folder, METRICS_LOCK), os.O_RDWR | os.O_CREAT, 0o600), fcntl.LOCK_EX)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _folder

# Imported now, with the folder set, not in child_exit: that runs in the master's SIGCHLD
# handler, and a second worker's exit during the (slow) first import re-entered it and
# crashed the master with a half-imported module. (The master creates no metric.)
from prometheus_client import multiprocess  # noqa: E402


def on_starting(server):
    """Master start: empty the folder, as prometheus-client requires; values left by an
    earlier run would be added to this one's."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for path in glob.glob(os.path.join(folder, "*.db")):
        os.remove(path)


def child_exit(server, worker):
    """A worker ended (recycled, killed): its live values stop counting. Its counters stay,
    so totals never go back when a worker is replaced."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Master exit: remove the temporary folder made above (never one given by the operator)."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    made_here = os.path.dirname(folder) == tempfile.gettempdir() and os.path.basename(folder).startswith(
        METRICS_TEMP_PREFIX
    )
    if made_here:
        shutil.rmtree(folder, ignore_errors=True)
