"""API keys: random secrets shown once; only a prefix and a SHA-256 digest are stored.

Keys look like ``ie_<8 characters>_<43 characters>``. The first part is the prefix,
stored in clear so that a key can be found and recognised in the admin; the whole key
is hashed. A plain SHA-256 suffices because the key carries 256 random bits: there is
nothing to brute-force, unlike a password.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from django.db import OperationalError, models
from django.utils import timezone

from intarget_export.stamping import sqlite_lock_wait

logger = logging.getLogger(__name__)

KEY_PREFIX = "ie_"
# last_used_at is written at most this often, so that a puller does not write per request.
LAST_USED_GRANULARITY = timezone.timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)

    def for_key(self, key: str) -> ApiKey | None:
        """The active key matching ``key``, compared in constant time; None if none."""
        prefix = key[: len(KEY_PREFIX) + 8]
        digest = hash_key(key)
        for candidate in self.active().filter(prefix=prefix):
            if hmac.compare_digest(candidate.key_hash, digest):
                return candidate
        return None


class ApiKey(models.Model):
    name = models.CharField(max_length=100, help_text="Who uses this key, e.g. 'InTarget production'.")
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    # DRF treats the authenticated key as the request's user.
    is_authenticated = True

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, name: str) -> tuple[ApiKey, str]:
        """Create a key; return it with its secret, which is not stored and shown once."""
        secret = f"{KEY_PREFIX}{secrets.token_urlsafe(6)}_{secrets.token_urlsafe(32)}"
        key = cls.objects.create(name=name, prefix=secret[: len(KEY_PREFIX) + 8], key_hash=hash_key(secret))
        return key, secret

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])

    def touch(self) -> None:
        """Record the use, best effort: a busy database must not fail the request."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_GRANULARITY:
            try:
                with sqlite_lock_wait(0.1):
                    ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            except OperationalError:
                logger.warning("last use of API key %s not recorded: database busy", self.prefix)
                return
            self.last_used_at = now
