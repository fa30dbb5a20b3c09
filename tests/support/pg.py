"""Helpers for tests that need writers outside the test's own connection (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from django.db import connection


def raw_connection(**overrides: Any) -> psycopg.Connection:
    """A psycopg connection to the test database that Django does not manage: another
    system's writer, holding its own transactions."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.pop("server_side_binding", None)
    return psycopg.connect(**{**params, **overrides})


def database_now() -> dt.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def next_whole_second(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=0) + dt.timedelta(seconds=1)


class Background(threading.Thread):
    """Run ``target`` in a thread; ``result()`` joins and re-raises its exception."""

    def __init__(self, target: Callable[[], Any]):
        super().__init__(daemon=True)
        self._target_fn = target
        self._result: Any = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._result = self._target_fn()
        except BaseException as error:  # re-raised in result()
            self._error = error
        finally:
            connection.close()

    def result(self, timeout: float = 30) -> Any:
        self.join(timeout)
        assert not self.is_alive(), "background work did not finish"
        if self._error is not None:
            raise self._error
        return self._result
