"""The routes under /api/: the OpenAPI document, its page, one route for every feed and
one for every feed's digest."""

from django.urls import re_path

from api.digests import DigestView
from api.docs import DocsView, SchemaView
from api.views import FeedView

urlpatterns = [
    # Before the feeds' route, which would take "schema" and "docs" for feed names.
    re_path(r"^schema/?$", SchemaView.as_view(), name="schema"),
    re_path(r"^docs/?$", DocsView.as_view(), name="docs"),
    # One route for every feed; the trailing slash is optional and never redirected,
    # because a redirect would drop the puller's query string on some HTTP clients.
    re_path(r"^(?P<feed_name>[A-Za-z0-9_-]+)/?$", FeedView.as_view(), name="feed"),
    re_path(r"^(?P<feed_name>[A-Za-z0-9_-]+)/digest/?$", DigestView.as_view(), name="digest"),
]
