"""The pull log in the admin (read only, newest first, filterable by key, feed and
status) and the operator's console (``operations/console.py``) beside it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.html import format_html

from feeds.admin_base import ApiTextMixin, CappedCountPaginator
from operations import console
from operations.models import Console, Pull


@admin.register(Pull)
class PullAdmin(ApiTextMixin, admin.ModelAdmin):
    list_display = (
        "started_at", "key_name", "feed", "shown_from", "shown_to", "format", "status", "rows", "bytes",
        "duration_ms", "client", "complete", "console_link",
    )
    list_filter = ("feed", "status", "complete", "key_name")
    date_hierarchy = "started_at"
    paginator = CappedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # The window's bounds when it was read, else what the request carried (Pull.from_text).
    @admin.display(description="from", ordering="window_from")
    def shown_from(self, pull: Pull) -> str:
        return pull.from_text

    @admin.display(description="to", ordering="window_to")
    def shown_to(self, pull: Pull) -> str:
        return pull.to_text

    @admin.display(description="console")
    def console_link(self, pull: Pull) -> str:
        return format_html('<a href="{}">console</a>', console.page_url(pull.key_name, pull.feed))


@admin.register(Console)
class ConsoleAdmin(ApiTextMixin, admin.ModelAdmin):
    """Routes the console's pages under /admin/operations/console/, behind the admin's
    login, for users with the view permission of the console (superusers have it)."""

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("", view(self.changelist_view), name="operations_console_changelist"),
            path("<str:key>/<str:feed>/", view(self.page_view), name="operations_console_page"),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return console.index(self, request)

    def page_view(self, request: HttpRequest, key: str, feed: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return console.page(self, request, unquote(key), feed)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
