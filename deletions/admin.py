from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from deletions.models import Tombstone
from feeds.admin_base import CappedCountPaginator


@admin.register(Tombstone)
class TombstoneAdmin(admin.ModelAdmin):
    """What the deletions feed serves: read only, as the database's triggers write it."""

    list_display = ["deleted_at", "feed", "row_id"]
    list_filter = ["feed"]
    search_fields = ["=row_id"]
    date_hierarchy = "deleted_at"
    ordering = ["-deleted_at", "feed", "row_id"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
