"""DATABASE_REPLICA_URL and REPLICA_FALLBACK that cannot work are refused at startup, by
name, without the URL (it may carry a password)."""

from __future__ import annotations

import pytest

from tests.intarget_export.test_settings import manage

pytestmark = [pytest.mark.engine_independent]


def test_a_replica_beside_an_sqlite_database_is_refused_without_its_url(tmp_path):
    done = manage(
        "check", DATA_DIR=str(tmp_path), DATABASE_REPLICA_URL="postgresql://feeds:s3cret-pw@replica.internal/feeds"
    )
    assert done.returncode != 0
    assert "DATABASE_REPLICA_URL (its item 1) must be a postgresql:// URL, and DATABASE_URL a PostgreSQL one" in done.stderr
    assert "s3cret-pw" not in done.stderr and "replica.internal" not in done.stderr


def test_an_unknown_fallback_is_refused_by_name(tmp_path):
    done = manage("check", DATA_DIR=str(tmp_path), REPLICA_FALLBACK="stale")
    assert done.returncode != 0
    assert "REPLICA_FALLBACK must be primary or unavailable, not 'stale'" in done.stderr
