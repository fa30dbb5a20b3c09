"""gunicorn settings shipped with the service (README, Dockerfile and bench/ use them).

Threaded workers: a stream of a year of history may run for minutes. With sync workers
the request itself must answer the arbiter's heartbeat, and the default 30 s timeout
killed long streams half-way; with gthread the heartbeat comes from the worker's main
loop, so `timeout` only catches a worker that is truly stuck.
"""

import os

bind = os.getenv("BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.getenv("WEB_CONCURRENCY", "2"))
threads = int(os.getenv("GUNICORN_THREADS", "4"))
timeout = int(os.getenv("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.getenv("GUNICORN_GRACEFUL_TIMEOUT", "300"))
keepalive = 5
accesslog = "-"
errorlog = "-"
# Recycle workers now and then; a long stream finishes before its worker exits.
max_requests = 10000
max_requests_jitter = 1000
