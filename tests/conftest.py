import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.db.models.signals import post_migrate
from django.test import override_settings
from rest_framework.test import APIClient

from deletions.models import Tombstone
from tests.support.factories import issue_key


def _no_tombstones_left_by_a_flush(sender, using, **kwargs):
    """After each transactional test Django flushes the database, then sends post_migrate.
    On SQLite the flush empties the tables one by one, in no set order, so a feed's table
    emptied after the tombstones' leaves the tombstones of its rows (its triggers are
    deletions like any other): gone too, so that the next test starts empty. PostgreSQL
    truncates every table in one statement, after the triggers' tombstones are in."""
    if kwargs.get("plan") is not None:  # a migrate (which may have unapplied deletions: no table)
        return
    if connections[using].vendor == "sqlite":
        Tombstone.objects.using(using).all().delete()


post_migrate.connect(_no_tombstones_left_by_a_flush, sender=apps.get_app_config("deletions"),
                     dispatch_uid="tests: no tombstones left by a flush")


@pytest.fixture(scope="session", autouse=True)
def _private_disk_cache(tmp_path_factory):
    """On SQLite the limits count in diskcache's folder (settings.CACHES): the tests'
    own, not the checkout's data/, where a service run by hand keeps its counts."""
    if settings.CACHES["default"]["BACKEND"] != "diskcache.DjangoCache":
        yield
        return
    caches = {"default": {**settings.CACHES["default"], "LOCATION": str(tmp_path_factory.mktemp("cache"))}}
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def _fresh_disk_cache(_private_disk_cache):
    """Counts and slots start empty in every test, as they do where the cache is in the
    test database (rolled back after each test)."""
    if settings.CACHES["default"]["BACKEND"] == "diskcache.DjangoCache":
        cache.clear()


@pytest.fixture
def api_key(db) -> str:
    _, secret = issue_key("tests")
    return secret


@pytest.fixture
def client_with_key(api_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    return client


def pytest_collection_modifyitems(config, items):
    # Slow suites run once per CI, in the PostgreSQL pass, and engine-independent ones
    # (gunicorn's workers, terminals, files) once, in the SQLite pass: CI stays short.
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgresql://…)")
        skip_slow = pytest.mark.skip(reason="slow suite: runs in the PostgreSQL pass only")
        for item in items:
            if "postgresql" in item.keywords:
                item.add_marker(skip)
            elif "slow" in item.keywords:
                item.add_marker(skip_slow)
    else:
        skip_once = pytest.mark.skip(reason="no database engine changes it: runs in the SQLite pass only")
        for item in items:
            if "engine_independent" in item.keywords and "postgresql" not in item.keywords:
                item.add_marker(skip_once)
