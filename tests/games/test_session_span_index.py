"""The games feed's span index (games/session_span.py) on PostgreSQL: built by its
migration CONCURRENTLY (outside a transaction), and built again when a concurrent
build that failed has left it invalid."""

import pytest
from django.db import connection

from games import session_span

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def valid() -> bool | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [session_span.INDEX])
        row = cursor.fetchone()
    return None if row is None else row[0]


def test_the_migration_leaves_a_valid_index():
    assert valid() is True


def test_an_invalid_index_left_by_a_failed_build_is_built_again():
    with connection.cursor() as cursor:
        # What a cancelled CREATE INDEX CONCURRENTLY leaves behind (the tests' user is a superuser).
        cursor.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass(%s)", [session_span.INDEX])
    assert valid() is False
    with connection.schema_editor(atomic=False) as editor:
        session_span.install(None, editor)
    assert valid() is True
