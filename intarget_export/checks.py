"""The project's own deploy checks: a secret key that several instances must share, and
no secret that this repository publishes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
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


# Secrets this repository once shipped as examples (compose.yaml's, before issue 18): kept
# here so that a deployment still running them is told, and so that, written in this file,
# they are found by the scan below like any other published value.
FORMERLY_SHIPPED = ("change-me-to-a-long-random-string-before-any-real-use", "intarget")
# What the scan reads: the source tree, never the operator's own files beside it (.env,
# the data folder, collected static files) nor virtualenvs and caches.
SKIPPED_NAMES = {".env", "__pycache__", "node_modules", "staticfiles", "artifacts", "data"}
SCANNED_BYTES = 2**20
PUBLISHED_SECRET = (
    "{setting} is written in this repository ({where}): anyone with the source can {power}; "
    "a published value is no secret, however long"
)


def _repository_texts(root: Path, skipped: set[Path]) -> Iterator[tuple[Path, str]]:
    """Every text file of the source tree under ``root`` (hidden folders and ``skipped``
    skipped, hidden files such as .env.example read), at most 1 MiB each."""
    for path in sorted(root.iterdir()):
        if path.name in SKIPPED_NAMES or path.is_symlink() or path in skipped:
            continue
        if path.is_dir():
            if not path.name.startswith("."):
                yield from _repository_texts(path, skipped)
        elif path.is_file() and path.stat().st_size <= SCANNED_BYTES:
            try:
                yield path, path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue


def _written_in(root: Path, secrets: dict[str, str], skipped: set[Path]) -> dict[str, str]:
    """Setting name -> the first file (relative to ``root``) that holds its value as a
    whole word; a value is never part of the answer, only where it was found."""
    patterns = {
        setting: re.compile(r"(?<![\w-])" + re.escape(value) + r"(?![\w-])") for setting, value in secrets.items()
    }
    found: dict[str, str] = {}
    for path, text in _repository_texts(root, skipped):
        for setting, pattern in patterns.items():
            if setting not in found and pattern.search(text):
                found[setting] = str(path.relative_to(root))
        if len(found) == len(patterns):
            break
    return found


@checks.register(checks.Tags.security, deploy=True)
def check_no_published_secret(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """SECRET_KEY and the database passwords must not be values this repository shows
    (an example, a placeholder, a test's): Django's own check passes any long key."""
    from django.conf import settings

    secrets: dict[str, str] = {}
    if not getattr(settings, "SECRET_KEY_GENERATED", False):
        secrets["SECRET_KEY"] = settings.SECRET_KEY
    for alias, database in settings.DATABASES.items():
        if database.get("PASSWORD"):
            name = "DATABASE_URL" if alias == "default" else "DATABASE_REPLICA_URL"
            secrets.setdefault(f"the password in {name}", database["PASSWORD"])
    # The data folder holds the service's own secrets (a generated key, the demo key).
    found = _written_in(Path(settings.BASE_DIR), secrets, {Path(settings.DATA_DIR)}) if secrets else {}
    return [
        checks.Error(
            PUBLISHED_SECRET.format(
                setting=setting,
                where=where,
                power="sign admin sessions" if setting == "SECRET_KEY" else "log in to the database",
            ),
            hint="Set a new random value (python3 -c 'import secrets; print(secrets.token_urlsafe(50))') "
            "in the environment or .env, never in a file of the repository.",
            id="intarget_export.E021",
        )
        for setting, where in found.items()
    ]
