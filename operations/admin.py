"""The pull log in the admin: read only, newest first, filterable by key, feed and status."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from intarget_export.admin_base import CappedCountPaginator
from operations.models import Pull


@admin.register(Pull)
class PullAdmin(admin.ModelAdmin):
    list_display = (
        "started_at", "key_name", "feed", "window_from", "window_to", "format", "status", "rows", "bytes",
        "duration_ms", "client", "complete",
    )
    list_filter = ("feed", "status", "complete", "key_name")
    date_hierarchy = "started_at"
    paginator = CappedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
