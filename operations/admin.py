"""The pull log in the admin (read only, newest first, filterable by key, feed and
status) and the operator's console (``operations/console.py``) beside it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import URLPattern, path
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from feeds.admin_base import ApiTextMixin, CappedCountPaginator
from operations import console
from operations.models import SERVED_WHOLE, Console, Pull


class ServedFilter(admin.SimpleListFilter):
    """By how the body went: whole (``SERVED_WHOLE``), cut off, or refused or failed."""

    title = "body"
    parameter_name = "served"
    CHOICES = {
        "whole": SERVED_WHOLE,
        "cut": Q(status=200, complete=False),
        "refused": ~Q(status=200),
    }

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("whole", "served whole"), ("cut", "cut off"), ("refused", "refused or failed (not 200)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        condition = self.CHOICES.get(self.value() or "")
        return queryset if condition is None else queryset.filter(condition)


def duration_text(ms: int) -> str:
    """``12 ms``, ``4.2 s``, ``3 min 05 s``: short enough for a list column (a number
    and its unit never split over two lines)."""
    if ms < 1000:
        return f"{ms}\N{NO-BREAK SPACE}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}\N{NO-BREAK SPACE}s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes}\N{NO-BREAK SPACE}min {seconds:02d}\N{NO-BREAK SPACE}s"


def bytes_text(count: int) -> str:
    """``858 B``, ``12.4 kB``, ``3.1 MB`` (powers of 1000, as a transfer is counted)."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= size:
            return f"{count / size:.1f}\N{NO-BREAK SPACE}{unit}"
    return f"{count}\N{NO-BREAK SPACE}B"


def unbroken(text: str) -> str:
    return text.replace(" ", "\N{NO-BREAK SPACE}")


def breakable(text: str) -> SafeString:
    """``text`` that may wrap after each colon: an IPv6 address has no other place to."""
    return mark_safe(":<wbr>".join(conditional_escape(part) for part in text.split(":")))


@admin.register(Pull)
class PullAdmin(ApiTextMixin, admin.ModelAdmin):
    # Fits a 1400 px screen with a long key name and an IPv6 client: one window column,
    # short durations and sizes (exact figures in their titles), long text cut short.
    list_display = (
        "started_at", "key_name", "feed", "window", "format", "status", "rows", "shown_bytes",
        "shown_duration", "shown_client", "served", "console_link",
    )
    list_filter = ("feed", "status", ServedFilter, "key_name")
    date_hierarchy = "started_at"
    paginator = CappedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="window (UTC)", ordering="window_from")
    def window(self, pull: Pull) -> str:
        """``from`` over ``to``; ``to`` without its date when it is ``from``'s. The bounds
        when the window was read, else what the request carried (``Pull.from_text``)."""
        if pull.window_from is None and pull.window_to is None:
            if not (pull.from_sent or pull.to_sent):
                return format_html('<span title="{}">everything</span>', "no from and to: every row")
            return format_html('<span title="as the request sent them">{}<br>→ {} (as sent)</span>',
                               pull.from_sent or "…", pull.to_sent or "…")
        start, end = pull.from_text or "…", pull.to_text or "…"
        same_day = pull.window_from and pull.window_to and pull.window_from.date() == pull.window_to.date()
        # A time on one line: the date and the time never part.
        return format_html('<span class="window" title="from {} to {} UTC">{}<br>→ {}</span>', start, end,
                           unbroken(start), end[11:] if same_day else unbroken(end))

    @admin.display(description="bytes", ordering="bytes")
    def shown_bytes(self, pull: Pull) -> str:
        return format_html('<span title="{} bytes">{}</span>', f"{pull.bytes:,}", bytes_text(pull.bytes))

    @admin.display(description="time", ordering="duration_ms")
    def shown_duration(self, pull: Pull) -> str:
        return format_html('<span title="{} ms">{}</span>', f"{pull.duration_ms:,}", duration_text(pull.duration_ms))

    @admin.display(description="client", ordering="client")
    def shown_client(self, pull: Pull) -> str:
        return breakable(pull.client) if pull.client else "-"

    @admin.display(description="body")
    def served(self, pull: Pull) -> str:
        """A tick only where the body was served whole; a cross where a 200 was cut off;
        a dash for a refusal or a failure, whose short error body says nothing of rows."""
        if pull.served_whole:
            return icon("yes", "served whole")
        if pull.status == 200:
            return icon("no", "cut off before the end")
        return format_html('<span title="{}">-</span>', f"refused or failed ({pull.status}): no rows served")

    @admin.display(description="console")
    def console_link(self, pull: Pull) -> str:
        return format_html('<a href="{}">console</a>', console.page_url(pull.key_name, pull.feed))


def icon(name: str, words: str) -> SafeString:
    """The admin's own yes/no icon, with its words as alt text and tooltip."""
    return format_html('<img src="{}" alt="{}" title="{}">', static(f"admin/img/icon-{name}.svg"), words, words)


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
