import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import issue_key


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
    # Slow suites run once per CI, in the PostgreSQL pass, to keep CI short.
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgresql://…)")
        skip_slow = pytest.mark.skip(reason="slow suite: runs in the PostgreSQL pass only")
        for item in items:
            if "postgresql" in item.keywords:
                item.add_marker(skip)
            elif "slow" in item.keywords:
                item.add_marker(skip_slow)
