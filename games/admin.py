from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from feeds.admin_base import (
    ApiTextMixin,
    CappedCountPaginator,
    FeedRowAdmin,
    api_money,
    api_time,
    changelist_url,
    recent_values,
    reference_column,
)
from games.models import GameAction, GameSession


def session_link(session_id: str) -> SafeString:
    # A session is the unit of the games feed: list all of its actions.
    return format_html('<a href="{}">{}</a>', changelist_url(GameAction, session_id=session_id), session_id)


@admin.register(GameAction)
class GameActionAdmin(FeedRowAdmin):
    list_display = (
        "id",
        "session_link",
        "player_link",
        "action",
        "amount",
        "currency",
        "game_name",
        "game_vendor",
        "created_at",
        "recorded_at",
    )
    list_filter = ("action", "balance_type", recent_values("currency"), recent_values("game_vendor"))
    search_fields = ("id__exact", "session_id__exact", "player__id__exact", "game_code__exact")
    search_help_text = "Exact action, session, player id or game code."

    player_link = reference_column("player")

    @admin.display(description="session", ordering="session_id")
    def session_link(self, obj: GameAction) -> SafeString:
        return session_link(obj.session_id)


@admin.register(GameSession)
class GameSessionAdmin(ApiTextMixin, admin.ModelAdmin):
    """Sessions as the games feed serves them (the rows its triggers keep), read only:
    the actions themselves are edited under Game actions."""

    list_display = (
        "session",
        "player_link",
        "game_name",
        "currency",
        "bet_count",
        "win_count",
        "bet_amount",
        "win_amount",
        "created_at",
        "last_action",
    )
    # A session has no page of its own: its link lists its actions.
    list_display_links = None
    search_fields = ("session_id__exact", "player__id__exact", "game_code__exact")
    search_help_text = "Exact session, player id or game code."
    date_hierarchy = "created_at"
    paginator = CappedCountPaginator
    show_full_result_count = False
    list_per_page = 100

    player_link = reference_column("player")

    def get_queryset(self, request: HttpRequest) -> QuerySet[GameSession]:
        # Newest first; the (created_at, session_id) index serves it.
        return super().get_queryset(request).order_by("-created_at", "-session_id")

    @admin.display(description="session", ordering="session_id")
    def session(self, obj: GameSession) -> SafeString:
        return session_link(obj.session_id)

    @admin.display(description="bet amount", ordering="bet_amount")
    def bet_amount(self, obj: Any) -> str:
        return api_money(obj.bet_amount)

    @admin.display(description="win amount", ordering="win_amount")
    def win_amount(self, obj: Any) -> str:
        return api_money(obj.win_amount)

    @admin.display(description="bets", ordering="bet_count")
    def bet_count(self, obj: Any) -> int:
        return obj.bet_count

    @admin.display(description="wins", ordering="win_count")
    def win_count(self, obj: Any) -> int:
        return obj.win_count

    @admin.display(description="updated at (last action)", ordering="updated_at")
    def last_action(self, obj: Any) -> str:
        return api_time(obj.updated_at)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
