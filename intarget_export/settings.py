"""Settings, all from the environment.

With nothing set, the service starts and serves safely on a laptop: DEBUG off, an
embedded SQLite file under ``data/``, a secret key generated once into ``data/``, plain
HTTP on localhost. ``bin/demo`` turns DEBUG on for itself. Production behind a
TLS-terminating proxy sets ``HTTPS=true``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and
``DATABASE_URL`` and then passes ``manage.py check --deploy`` (docs/security.md).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from intarget_export.secret_key import kept_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    if value.lower() in ("true", "1", "yes", "on"):
        return True
    if value.lower() in ("false", "0", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")


def env_float(name: str, default: float) -> float:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def env_int(name: str, default: int) -> int:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


# Off unless asked for: a debug page shows settings, and these feeds carry personal data.
DEBUG = env_bool("DEBUG", False)

# The embedded database and the generated secret key live here.
DATA_DIR = Path(os.getenv("DATA_DIR", BASE_DIR / "data"))

# API keys are stored as SHA-256 digests and do not depend on this key; it signs admin
# sessions and CSRF tokens. Unset, one is generated once and kept (intarget_export/secret_key.py).
SECRET_KEY = os.getenv("SECRET_KEY", "")
# A generated key is per DATA_DIR, so per machine: check --deploy warns when the database
# may be shared by instances on several machines (intarget_export.W020).
SECRET_KEY_GENERATED = not SECRET_KEY
if not SECRET_KEY:
    try:
        SECRET_KEY = kept_secret_key(DATA_DIR)
    except OSError as error:
        raise ImproperlyConfigured(f"SECRET_KEY is not set and cannot be kept under DATA_DIR: {error}") from None

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "axes",
    "intarget_export",
    "feeds",
    "serving",
    "loading",
    "api",
    "access",
    "operations",
    "alerts",
    "players",
    "payments",
    "games",
    "sports",
    "deletions",
    "privacy",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "api.cache_control.NoStoreForApiMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out user name is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Feeds answer with and without a trailing slash; never redirect a puller.
APPEND_SLASH = False

ROOT_URLCONF = "intarget_export.urls"
WSGI_APPLICATION = "intarget_export.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite by default so that a fresh checkout runs with no database server.
DATABASE_URL = os.getenv("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# Bounds on every wait for the database, in seconds, 0 = off (lib/db_bounds.py):
# connecting; a lock another session holds (SQLite: the write lock); one query of the
# service; the COPY of a feed stream (may run for minutes: off by default); and, client-side,
# one answer from a server that does not answer at all (stopped, frozen, unreachable).
# (SQLite has no "off" for the lock bound: 0 there means fail at once.)
DATABASE_CONNECT_TIMEOUT = env_float("DATABASE_CONNECT_TIMEOUT", 5.0)
DATABASE_LOCK_TIMEOUT = env_float("DATABASE_LOCK_TIMEOUT", 10.0)
DATABASE_STATEMENT_TIMEOUT = env_float("DATABASE_STATEMENT_TIMEOUT", 15.0)
DATABASE_STREAM_STATEMENT_TIMEOUT = env_float("DATABASE_STREAM_STATEMENT_TIMEOUT", 0.0)
DATABASE_STALL_TIMEOUT = env_float("DATABASE_STALL_TIMEOUT", 20.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    from lib.db_bounds import postgresql_options

    DATABASES["default"]["OPTIONS"] = postgresql_options(
        DATABASES["default"].get("OPTIONS", {}),
        connect_timeout=DATABASE_CONNECT_TIMEOUT,
        lock_timeout=DATABASE_LOCK_TIMEOUT,
        statement_timeout=DATABASE_STATEMENT_TIMEOUT,
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    from lib.private_files import private_folder

    # Every player's personal data: readable by the service's user alone (0700; the
    # database file 0600, as each connection opens: IntargetExportConfig.ready).
    private_folder(DATA_DIR)
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue for the lock instead of failing with "database is locked", for
        # at most the lock bound.
        "timeout": DATABASE_LOCK_TIMEOUT,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES["default"]["TEST"] = {"NAME": os.getenv("TEST_DATABASE_NAME") or None}

# Streaming replicas that feed answers are read from (serving/replicas.py,
# docs/no-row-lost.md): DATABASE_REPLICA_URL, one or more PostgreSQL URLs, comma separated,
# become the aliases replica, replica_2, …; everything else stays on the primary. A replica
# is read only once it has replayed what the primary committed before the window became
# final, waiting for that at most REPLICA_MAX_WAIT seconds; then REPLICA_FALLBACK decides:
# "primary" reads the primary, "unavailable" answers 503 with Retry-After. A replica that
# does not connect within REPLICA_CONNECT_TIMEOUT is skipped. REPLICA_WAIT_FOR_REPLAY=False
# switches the replay wait off; it exists to show what the replica replay test catches,
# never for production.
REPLICA_DATABASES: list[str] = []
REPLICA_MAX_WAIT = env_float("REPLICA_MAX_WAIT", 5.0)
REPLICA_FALLBACK = os.getenv("REPLICA_FALLBACK") or "primary"
if REPLICA_FALLBACK not in ("primary", "unavailable"):
    raise ImproperlyConfigured(f"REPLICA_FALLBACK must be primary or unavailable, not {REPLICA_FALLBACK!r}")
REPLICA_CONNECT_TIMEOUT = env_float("REPLICA_CONNECT_TIMEOUT", 2.0)
REPLICA_WAIT_FOR_REPLAY = env_bool("REPLICA_WAIT_FOR_REPLAY", True)
for _n, _url in enumerate(env_list("DATABASE_REPLICA_URL", "")):
    _alias = "replica" if _n == 0 else f"replica_{_n + 1}"
    _replica = dj_database_url.parse(_url, conn_max_age=60, conn_health_checks=True)
    if _replica["ENGINE"] != "django.db.backends.postgresql" or DATABASES["default"]["ENGINE"] != _replica["ENGINE"]:
        # Never the URL itself in the message: it may carry a password.
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL (its item {_n + 1}) must be a postgresql:// URL, and DATABASE_URL a PostgreSQL one too"
        )
    from lib.db_bounds import postgresql_options

    _replica["OPTIONS"] = postgresql_options(
        _replica.get("OPTIONS", {}),
        connect_timeout=REPLICA_CONNECT_TIMEOUT,
        lock_timeout=DATABASE_LOCK_TIMEOUT,
        statement_timeout=DATABASE_STATEMENT_TIMEOUT,
    )
    # A test run reads the test database through every replica alias.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[_alias] = _replica
    REPLICA_DATABASES.append(_alias)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Everything is UTC: stored, served, and parsed from the window parameters.
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Django's own display of times (the admin's read-only fields) in the API's form.
FORMAT_MODULE_PATH = ["intarget_export.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["access.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["access.authentication.HasApiKey", "access.authentication.KeyRulesAllow"],
    # Rate first: a request over the rate is refused before it takes a stream slot.
    "DEFAULT_THROTTLE_CLASSES": ["access.limits.KeyRateThrottle", "access.limits.KeyStreamCap"],
    "EXCEPTION_HANDLER": "api.exceptions.feed_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

# Window finality (serving/finality.py, docs/no-row-lost.md): how long a request
# waits for writers that may still commit rows into the window before answering 503, and
# the Retry-After it then gives. FINALITY_WAIT_FOR_WRITERS=False switches the wait off;
# it exists to show what the replay test catches, never for production.
FINALITY_MAX_WAIT = env_float("FINALITY_MAX_WAIT", 10.0)
FINALITY_RETRY_AFTER = env_float("FINALITY_RETRY_AFTER", 5.0)
FINALITY_WAIT_FOR_WRITERS = env_bool("FINALITY_WAIT_FOR_WRITERS", True)
# How many requests of one process may wait at once (for writers, or for a lock before a
# stream); the others answer the same 503 at once, so that the remaining threads keep
# serving other feeds. Default: half of gunicorn's threads (GUNICORN_THREADS, as in
# gunicorn.conf.py); 0: never wait, answer 503 at once.
FINALITY_MAX_WAITERS = int(env_float("FINALITY_MAX_WAITERS", max(1, int(env_float("GUNICORN_THREADS", 4)) // 2)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    # axes announces itself at every process start; its attempts and lockouts still log.
    "loggers": {"axes.apps": {"level": "WARNING"}},
}

# Reached over HTTPS through a TLS-terminating proxy (deploy/). Off by default so that
# plain HTTP on localhost keeps working with no environment at all; production turns it
# on, and then trusts the proxy's X-Forwarded-Proto, redirects plain HTTP and marks
# cookies secure. Never turn it on without a proxy that sets that header itself.
HTTPS = env_bool("HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Admin login lockout (django-axes, docs/security.md): after AXES_FAILURE_LIMIT wrong
# passwords for one user name from one address, that pair is refused for
# AXES_COOLOFF_MINUTES. Attempts and lockouts show in the admin under "Axes";
# `manage.py axes_reset` lifts every lockout.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "access.clients.client_address"
AXES_LOCKOUT_CALLABLE = "access.lockout.locked_out"

# Errors outside the feed views (unknown paths, too many parameters, disallowed hosts,
# server errors) are answered by intarget_export/errors.py: JSON under /api/.

# Messages live in the server-side session, never in a cookie: the admin shows a newly
# created API key once, through a message.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Access control (access/, operations.md sections 6 and 7). The client address is the
# socket's peer; X-Forwarded-For is believed only from these networks (the reverse proxy).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
# Per key, counted across every worker, process and instance in the shared cache below.
API_RATE_LIMIT = os.getenv("API_RATE_LIMIT") or "600/min"
API_MAX_STREAMS = env_int("API_MAX_STREAMS", 4)
# The largest push body (POST /api/<feed>), in bytes: a larger one answers 413
# (api/push_body.py). deploy/nginx.conf's client_max_body_size must be above it.
PUSH_MAX_BYTES = env_int("PUSH_MAX_BYTES", 50 * 2**20)
# The largest answer spooled to TMPDIR for an HTTP/1.0 client before it is sent with its
# length (api/spooling.py): past it the answer is refused (507), never a full disk.
SPOOL_MAX_BYTES = env_int("SPOOL_MAX_BYTES", 2 * 2**30)

# The shared cache holds the limits' counts and stream slots, so it must be shared by
# every process: Redis when REDIS_URL is set; else, on PostgreSQL, the service's own
# database (no extra server; access/cache.py makes its counting atomic); on SQLite,
# diskcache's own SQLite files under DATA_DIR/cache, so that counting never waits for
# the feed database's one write lock (held by imports, stamps and the pull log). Every
# process of a SQLite service runs on one machine, so a folder there is shared by all.
# Never per-process memory.
REDIS_URL = os.getenv("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    CACHES = {
        "default": {
            "BACKEND": "diskcache.DjangoCache",
            "LOCATION": str(DATA_DIR / "cache"),
            # Culling past the size limit would drop live counts: far above their size.
            "OPTIONS": {"size_limit": 2**30},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "access.cache.DatabaseCache",
            "LOCATION": "access_cache",
            # Culling deletes entries at random once MAX_ENTRIES is passed: far above what
            # counts and slots need (a few per key), so that a live one is never culled.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    }

# The pull log (operations/): entries older than this many days are removed by prune_pull_log.
PULL_LOG_DAYS = env_int("PULL_LOG_DAYS", 90)

# The OpenAPI document (/api/schema) and its page (/api/docs), api/openapi.py:
# drf-spectacular builds it from the feed registry; drf-spectacular-sidecar ships Swagger
# UI as static files, so the page loads nothing from another host.
INSTALLED_APPS += ["drf_spectacular", "drf_spectacular_sidecar"]
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
SPECTACULAR_SETTINGS = {
    "TITLE": "intarget-export",
    "DESCRIPTION": (
        "The feeds InTarget pulls: `GET /api/<feed>?from=…&to=…` answers the rows whose window "
        "timestamp lies in `[from, to)`, in CSV (the default) or JSON. Every request needs an API "
        "key, sent in any one of the three ways under *Authorize*. The product pushes rows with "
        "`POST /api/<feed>` and a push key."
    ),
    "VERSION": "1",
    "DEFAULT_GENERATOR_CLASS": "api.openapi.FeedSchemaGenerator",
    # The document itself is not one of the API's operations.
    "SERVE_INCLUDE_SCHEMA": False,
    # Choices stay inline in each column (no shared enum components named by guesswork).
    "POSTPROCESSING_HOOKS": [],
    # from, to, format: the order a reader expects, not the alphabet's.
    "SORT_OPERATION_PARAMETERS": False,
    # Its deploy check builds the document, which reads the custom fields from the
    # database: it would fail `check --deploy` before `migrate`. tests/api/test_openapi_*.py
    # build and validate the document instead.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # validatorUrl: Swagger UI would otherwise fetch a badge from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "displayOperationId": False},
    "TAGS": [
        {"name": "feeds", "description": "One path per feed InTarget pulls."},
        {"name": "push", "description": "Rows the product pushes (a push key), upserted as import_feed does."},
    ],
}
# Static files are served by WhiteNoise from the apps' own folders too, not only from
# STATIC_ROOT: a checkout or image where collectstatic never ran (or ran before a
# dependency shipped new files) still serves the docs page's and the admin's files.
WHITENOISE_USE_FINDERS = True
# `manage.py test` runs the pytest suite, as bin/test does (Django's runner finds no test
# in it and would say OK).
TEST_RUNNER = "lib.test_runner.PytestRunner"
# Files a browser asks for at the site's root (/favicon.ico), served by WhiteNoise as they
# are, with no redirect.
WHITENOISE_ROOT = BASE_DIR / "intarget_export" / "public"

# Probes and metrics (operations/probes.py, operations/metrics.py; operations.md section 9).
# /metrics answers only these client networks (the client address of TRUSTED_PROXIES);
# a value that does not parse stops the service at startup (OperationsConfig.ready).
METRICS_ALLOW = env_list("METRICS_ALLOW", "127.0.0.1/32,::1/128")
# A prober or Prometheus talks plain HTTP to gunicorn itself, with no X-Forwarded-Proto:
# never redirect it to HTTPS (HTTPS=true).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# Expected pulls and alerts (alerts/, assurance.md section 13, docs/alerts.md): send_alerts
# checks every ALERT_INTERVAL seconds and sends each change by webhook (a POST signed the
# Standard Webhooks way with ALERT_WEBHOOK_SECRET, "whsec_" and base64) and by e-mail to
# ALERT_EMAIL_TO (comma separated), through Django's SMTP settings below. Neither set: states
# are tracked, nothing is sent. Bad values stop the service at startup (AlertsConfig.ready),
# never showing the URL or the secret, which may carry credentials.
ALERT_INTERVAL = env_float("ALERT_INTERVAL", 60.0)
ALERT_WEBHOOK_URL = os.getenv("ALERT_WEBHOOK_URL", "")
ALERT_WEBHOOK_SECRET = os.getenv("ALERT_WEBHOOK_SECRET", "")
ALERT_EMAIL_TO = env_list("ALERT_EMAIL_TO", "")
EMAIL_HOST = os.getenv("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Django waits for an SMTP server forever by default: a check must not hang on one.
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 10.0)
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL") or "intarget-export@localhost"
