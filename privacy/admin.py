"""Erasures in the admin: the record, read-only, and the action on players that makes one.

The action asks for confirmation first (an erasure cannot be undone), then calls the same
service as ``erase_player``, one transaction per player, recording the admin user.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from feeds.admin_base import changelist_url
from feeds.columns import format_timestamp
from players.admin import PlayerAdmin
from privacy.models import Erasure
from privacy.personal_data import PERSONAL
from privacy.services import player_erase

ERASE_PERMISSION = "privacy.erase_player"
CONFIRMATION_TEMPLATE = "privacy/erase_selected_confirmation.html"


def can_erase(request: HttpRequest) -> bool:
    return request.user.has_perm(ERASE_PERMISSION)


@admin.action(description="Erase personal data of selected players", permissions=["erase"])
def erase_selected(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> Any:
    """An action for the players' admin, which defines ``has_erase_permission`` (can_erase)."""
    player_ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    if request.POST.get("post") != "yes":
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": "Erase personal data: are you sure?",
            "opts": modeladmin.model._meta,
            "player_ids": player_ids,
            "personal": PERSONAL,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": request.POST.get("action", "erase_selected"),
        }
        return TemplateResponse(request, CONFIRMATION_TEMPLATE, context)
    erasures = [
        player_erase(player_id=player_id, operator=request.user.get_username(), via=Erasure.Via.ADMIN)
        for player_id in player_ids
    ]
    rows = sum(erasure.rows_changed for erasure in erasures)
    modeladmin.message_user(
        request,
        format_html(
            'Erased the personal data of {} player(s): {} row(s) changed, served again in the next window. '
            '<a href="{}">The record</a>.',
            len(erasures),
            rows,
            changelist_url(Erasure),
        ),
        messages.SUCCESS,
    )
    return None


def offer_erasure_on_players() -> None:
    """The erase action on the players' list. Privacy adds it to the players' admin (which
    the admin's autodiscovery loaded first: ``players`` comes before ``privacy`` in
    INSTALLED_APPS, and the import below makes sure), so that players know nothing of erasure."""
    PlayerAdmin.actions = [*PlayerAdmin.actions, erase_selected]
    PlayerAdmin.has_erase_permission = lambda self, request: can_erase(request)


offer_erasure_on_players()


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    list_display = ("player_id", "erased", "operator", "via", "rows_changed")
    list_filter = ("via",)
    search_fields = ("player_id__exact", "operator__iexact")
    search_help_text = "Exact player id or operator."
    date_hierarchy = "erased_at"
    fields = ("player_id", "erased", "operator", "via", "what_changed")
    readonly_fields = fields

    # The record is written by the erasure alone, and never edited or removed.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="erased at", ordering="erased_at")
    def erased(self, erasure: Erasure) -> str:
        return f"{format_timestamp(erasure.erased_at)} UTC"

    @admin.display(description="rows changed")
    def rows_changed(self, erasure: Erasure) -> int:
        return erasure.rows_changed

    @admin.display(description="what changed")
    def what_changed(self, erasure: Erasure) -> str:
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in erasure.describe()))
