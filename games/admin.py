from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString

from games.models import GameAction
from intarget_export.admin_base import FeedRowAdmin, changelist_url, recent_values, reference_column


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
        # A session is the unit of the games feed: list all of its actions.
        return format_html('<a href="{}">{}</a>', changelist_url(GameAction, session_id=obj.session_id), obj.session_id)
