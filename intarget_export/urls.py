from django.contrib import admin
from django.urls import include, path, re_path

from api.docs import DocsView, SchemaView
from api.views import FeedView
from intarget_export.home import home

urlpatterns = [
    # Before the feeds' route, which would take "schema" and "docs" for feed names.
    re_path(r"^api/schema/?$", SchemaView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", DocsView.as_view(), name="docs"),
    # One route for every feed; the trailing slash is optional and never redirected,
    # because a redirect would drop the puller's query string on some HTTP clients.
    re_path(r"^api/(?P<feed_name>[A-Za-z0-9_-]+)/?$", FeedView.as_view(), name="feed"),
    path("admin/", admin.site.urls),
    path("", include("operations.urls")),  # /healthz, /readyz, /metrics
    path("", home, name="home"),
]

# JSON under /api/, Django's plain pages elsewhere (intarget_export/errors.py).
handler400 = "intarget_export.errors.bad_request"
handler403 = "intarget_export.errors.permission_denied"
handler404 = "intarget_export.errors.page_not_found"
handler500 = "intarget_export.errors.server_error"
