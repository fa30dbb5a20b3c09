"""API keys: random secrets shown once; only a prefix and a SHA-256 digest are stored.

Keys look like ``ie_<8 characters>_<43 characters>``. The first part is the prefix,
stored in clear so that a key can be found and recognised in the admin; the whole key
is hashed. A plain SHA-256 suffices because the key carries 256 random bits: there is
nothing to brute-force, unlike a password.

Each key carries its rules (operations.md section 6): the feeds it opens, the networks
it may come from, when it expires, and its direction (pull rows, or push them). The
rules are checked in ``rules.py``; keys are made and revoked in ``services.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.db import DatabaseError, models
from django.utils import timezone

from feeds.stamping import sqlite_lock_wait

logger = logging.getLogger(__name__)

KEY_PREFIX = "ie_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8
# last_used_at is written at most this often, so that a puller does not write per request.
LAST_USED_GRANULARITY = timezone.timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Direction(models.TextChoices):
    PULL = "pull", "pull (InTarget reads feeds)"
    PUSH = "push", "push (the product sends rows)"


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> ApiKeyQuerySet:
        """Keys not revoked and not expired."""
        return self.filter(revoked_at__isnull=True).exclude(expires_at__lte=timezone.now())

    def for_key(self, key: str) -> ApiKey | None:
        """The active key matching ``key``, compared in constant time; None if none."""
        digest = hash_key(key)
        for candidate in self.active().filter(prefix=key[:PREFIX_LENGTH]):
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
    # The rules. Empty lists mean "no restriction": every feed, any address.
    feeds = models.JSONField(
        default=list, blank=True, help_text="Feeds this key opens; none selected: every feed."
    )
    allowed_networks = models.JSONField(
        default=list,
        blank=True,
        help_text="Networks or addresses (IPv4, IPv6) requests may come from; none: any address.",
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="UTC; from then on the key is refused like a wrong one."
    )
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.PULL)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    # DRF treats the authenticated key as the request's user.
    is_authenticated = True

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])

    def touch(self) -> None:
        """Record the use, best effort: a busy, failing or read-only database must not
        fail the request (the feed query that follows answers for the database)."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_GRANULARITY:
            try:
                # On SQLite: no wait at all for the write lock, which a writer may hold
                # for minutes; the next request a minute on records it instead.
                with sqlite_lock_wait(0):
                    ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            except DatabaseError as error:
                logger.warning("last use of API key %s not recorded: %s", self.prefix, type(error).__name__)
                return
            self.last_used_at = now
