from django.contrib import admin
from django.urls import include, path

from intarget_export.home import home

urlpatterns = [
    path("api/", include("api.urls")),  # the document, its page, the feeds
    path("admin/", admin.site.urls),
    path("", include("operations.urls")),  # /healthz, /readyz, /metrics
    path("", home, name="home"),
]

# JSON under /api/, Django's plain pages elsewhere (intarget_export/errors.py).
handler400 = "intarget_export.errors.bad_request"
handler403 = "intarget_export.errors.permission_denied"
handler404 = "intarget_export.errors.page_not_found"
handler500 = "intarget_export.errors.server_error"
