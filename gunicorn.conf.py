"""gunicorn settings shipped with the service (README, Dockerfile and bench/ use them).

Threaded workers: a stream of a year of history may run for minutes. With sync workers
the request itself must answer the arbiter's heartbeat, and the default 30 s timeout
killed long streams half-way; with gthread the heartbeat comes from the worker's main
loop, so `timeout` only catches a worker that is truly stuck.

In the shipped deployment gunicorn is reached only through nginx (deploy/nginx.conf):
nginx absorbs slow clients (a slowloris holds an nginx connection, not one of the few
gunicorn threads) and talks HTTP/1.1 to gunicorn, so broken streams stay visible.
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
