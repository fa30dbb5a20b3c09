"""The service stamps every row's window timestamp; callers never choose it.

``StampedModel`` stamps on ``save()``, and its queryset stamps on ``update()``,
``bulk_create()`` and ``bulk_update()``. A stamp never moves a row backwards: the new
value is the later of the clock and the old stamp.

The only way to keep a caller's timestamps is ``preserve_timestamps()``, used by
``import_feed --preserve-timestamps`` for history backfills (and by test factories,
which need rows at exact instants).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

from django.db import models
from django.db.models.functions import Greatest
from django.utils import timezone

_preserving: ContextVar[bool] = ContextVar("preserving_timestamps", default=False)


@contextmanager
def preserve_timestamps() -> Iterator[None]:
    """Within this block, writes keep the window timestamps they are given."""
    token = _preserving.set(True)
    try:
        yield
    finally:
        _preserving.reset(token)


def preserving() -> bool:
    return _preserving.get()


def clock() -> dt.datetime:
    return timezone.now()


class StampedQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        field = self.model.window_field
        if not preserving():
            kwargs[field] = Greatest(models.Value(clock()), models.F(field))
        return super().update(**kwargs)

    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> list:
        objs = list(objs)
        if not preserving():
            field = self.model.window_field
            if kwargs.get("update_conflicts"):
                # An upsert replaces the stored stamp: start from it so that none goes back.
                stored = dict(self.filter(pk__in=[obj.pk for obj in objs]).values_list("pk", field))
                for obj in objs:
                    setattr(obj, field, stored.get(obj.pk))
            now = clock()
            for obj in objs:
                obj.stamp(now)  # type: ignore[attr-defined]
        update_fields = kwargs.get("update_fields")
        if update_fields and self.model.window_field not in update_fields:
            kwargs["update_fields"] = [*update_fields, self.model.window_field]
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[models.Model], fields: Iterable[str], **kwargs: Any) -> int:
        objs = list(objs)
        fields = list(fields)
        if not preserving():
            now = clock()
            for obj in objs:
                obj.stamp(now)  # type: ignore[attr-defined]
        if self.model.window_field not in fields:
            fields.append(self.model.window_field)
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
        if not preserving():
            self.stamp(clock())
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and self.window_field not in update_fields:
                kwargs["update_fields"] = [*update_fields, self.window_field]
        super().save(*args, **kwargs)
