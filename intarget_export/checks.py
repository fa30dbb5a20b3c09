"""The project's own deploy check: a secret key that several instances must share."""

from __future__ import annotations

from typing import Any

from django.core import checks

GENERATED_KEY_SHARED = (
    "SECRET_KEY is not set, so each instance generates its own under its DATA_DIR; on a "
    "shared PostgreSQL database instances on several machines sign admin sessions with "
    "different keys, and an operator sent to another instance by the proxy is logged out"
)


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key_shared(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Everything else instances share goes through the database or the cache (docs/scaling.md,
    "Scaling out"); the secret key is the one setting that must be given alike to each."""
    from django.conf import settings

    if not getattr(settings, "SECRET_KEY_GENERATED", False) or settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return []
    return [
        checks.Warning(
            GENERATED_KEY_SHARED,
            hint="set the same SECRET_KEY (50 or more random characters) in every instance's environment",
            id="intarget_export.W020",
        )
    ]
