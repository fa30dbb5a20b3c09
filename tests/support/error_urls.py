"""The project's URLs and error handlers, plus routes that fail on purpose, so that the
tests of intarget_export/errors.py can reach a server error. Used only through
``@pytest.mark.urls("tests.support.error_urls")``."""

from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError
from django.urls import path

from intarget_export.urls import *  # noqa: F403 (the handlers come along)
from intarget_export.urls import urlpatterns as project_urlpatterns


def fails(request):
    raise RuntimeError("boom: a secret-looking detail that must not be shown")


def fails_on_the_database(request):
    raise DatabaseError("the database went away")


def suspicious(request):
    raise SuspiciousOperation("a suspicious detail that must not be shown")


urlpatterns = [
    path("api/test-suspicious", suspicious),
    path("api/test-fails", fails),
    path("api/test-fails-on-the-database", fails_on_the_database),
    path("test-fails-on-the-database", fails_on_the_database),
    *project_urlpatterns,
]
