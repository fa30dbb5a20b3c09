from collections.abc import Sequence
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from intarget_export.models import ApiKey

SHOWN_ONCE = (
    "API key for {name}: <code>{secret}</code> — copy it now: it is not stored and will not be shown again. "
    "Send it as <code>Authorization: Bearer &lt;key&gt;</code>."
)


class ActiveFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "active"), ("revoked", "revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    # key_hash appears nowhere: not listed, not a form field, not read-only.
    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (ActiveFilter,)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke_keys"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str]:
        # On add the operator gives a name only; the service makes the secret.
        return ["name"] if obj is None else ["name", *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            return super().save_model(request, obj, form, change)
        issued, secret = ApiKey.issue(obj.name)
        # The admin goes on with `obj` (log entry, redirect): make it the issued row.
        obj.pk = issued.pk
        obj.refresh_from_db()
        # Shown once: the message is consumed when displayed, and only the hash is kept.
        self.message_user(request, format_html(SHOWN_ONCE, name=obj.name, secret=secret), messages.SUCCESS)

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        keys = list(queryset.filter(revoked_at__isnull=True))
        for key in keys:
            key.revoke()
        self.message_user(request, f"{len(keys)} key(s) revoked; requests with them now get HTTP 401.")
