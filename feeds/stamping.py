"""The service stamps every row's window timestamp; callers never choose it.

One clock, the database's:

- On PostgreSQL, triggers stamp every insert and update (``db_stamping.py``), whoever
  writes. What the ORM puts in the field beforehand is a placeholder; ``save()`` reads
  the real stamp back.
- On SQLite (the embedded default, one machine), the stamp is the machine clock read
  *while holding the database's write lock*: every stamped write runs in an IMMEDIATE
  transaction, so stamps follow commit order and a reader that takes the lock sees every
  row stamped before it (``serving/finality.py``). Plain SQL written around the ORM is not
  stamped on SQLite.

A stamp never moves a row backwards: the new value is the later of the clock and the old
stamp. The only way to keep a caller's timestamps is ``preserve_timestamps()``, used by
``import_feed --preserve-timestamps`` for history backfills (and by test factories,
which need rows at exact instants).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

from django.db import connection, models, transaction
from django.db.models.functions import Greatest
from django.utils import timezone

from feeds.db_stamping import PRESERVE_SETTING

_preserving: ContextVar[bool] = ContextVar("preserving_timestamps", default=False)

# SQLite's view of preserving(): a function registered on every connection the service
# opens (feeds/model_fields.py), for the triggers that stamp there. PostgreSQL's
# triggers read PRESERVE_SETTING instead.
SQLITE_PRESERVING = "intarget_preserving"


def _set_database_preserve(on: bool) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, false)", [PRESERVE_SETTING, "on" if on else "off"])


@contextmanager
def preserve_timestamps() -> Iterator[None]:
    """Within this block, writes keep the window timestamps they are given."""
    token = _preserving.set(True)
    _set_database_preserve(True)
    try:
        yield
    finally:
        _preserving.reset(token)
        if not _preserving.get():
            _set_database_preserve(False)


def preserving() -> bool:
    return _preserving.get()


@contextmanager
def sqlite_lock_wait(seconds: float) -> Iterator[None]:
    """On SQLite, wait at most ``seconds`` for the write lock (the connection's default is
    20 s, right for writers but not for a request that can answer 503 instead)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")


def clock() -> dt.datetime:
    """The stamping clock: the database's on PostgreSQL, the machine's on SQLite."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            return cursor.fetchone()[0]
    return timezone.now()


class StampedQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        field = self.model.window_field
        with transaction.atomic(using=self.db):
            if not preserving():
                kwargs[field] = Greatest(models.Value(clock()), models.F(field))
            return super().update(**kwargs)

    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> list:
        objs = list(objs)
        update_fields = kwargs.get("update_fields")
        if update_fields and self.model.window_field not in update_fields:
            kwargs["update_fields"] = [*update_fields, self.model.window_field]
        with transaction.atomic(using=self.db):
            if not preserving():
                field = self.model.window_field
                if kwargs.get("update_conflicts") and connection.vendor != "postgresql":
                    # An upsert replaces the stored stamp: start from it so that none goes
                    # back (on PostgreSQL the trigger's GREATEST does this).
                    stored = dict(self.filter(pk__in=[obj.pk for obj in objs]).values_list("pk", field))
                    for obj in objs:
                        setattr(obj, field, stored.get(obj.pk))
                now = clock()
                for obj in objs:
                    obj.stamp(now)  # type: ignore[attr-defined]
            return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[models.Model], fields: Iterable[str], **kwargs: Any) -> int:
        objs = list(objs)
        fields = list(fields)
        if self.model.window_field not in fields:
            fields.append(self.model.window_field)
        with transaction.atomic(using=self.db):
            if not preserving():
                now = clock()
                for obj in objs:
                    obj.stamp(now)  # type: ignore[attr-defined]
            return super().bulk_update(objs, fields, **kwargs)


class StampedModel(models.Model):
    """A feed row whose ``window_field`` the service stamps on every write."""

    window_field: ClassVar[str] = "modified_at"

    objects = StampedQuerySet.as_manager()

    class Meta:
        abstract = True

    def stamp(self, now: dt.datetime) -> None:
        previous = getattr(self, self.window_field)
        setattr(self, self.window_field, max(now, previous) if previous else now)

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic(using=kwargs.get("using")):
            if not preserving():
                self.stamp(clock())
                update_fields = kwargs.get("update_fields")
                if update_fields is not None and self.window_field not in update_fields:
                    kwargs["update_fields"] = [*update_fields, self.window_field]
            super().save(*args, **kwargs)
            if not preserving() and connection.vendor == "postgresql":
                # The trigger's stamp, not the placeholder written above.
                self.refresh_from_db(fields=[self.window_field])
