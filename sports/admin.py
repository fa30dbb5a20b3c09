from django.contrib import admin
from django.utils.safestring import SafeString

from feeds.admin_base import FeedRowAdmin, recent_values, reference_column, related_link
from sports.models import Bet, BetSelection, SportEvent, Tournament


@admin.register(Tournament)
class TournamentAdmin(FeedRowAdmin):
    list_display = ("id", "name", "sport_name", "country_code", "date_start", "date_end", "modified_at")
    list_filter = (recent_values("sport_name"), recent_values("country_code"))
    search_fields = ("id__exact", "name__icontains")
    search_help_text = "Exact tournament id, or part of its name."

    @admin.display(description="related rows")
    def related_rows(self, obj: Tournament) -> SafeString:
        return related_link(SportEvent, "events", "tournament", obj.pk)


@admin.register(SportEvent)
class SportEventAdmin(FeedRowAdmin):
    list_display = ("id", "title", "tournament_link", "status", "type", "start_time", "end_time", "modified_at")
    list_filter = (recent_values("status"), recent_values("type"))
    search_fields = ("id__exact", "tournament__id__exact", "title__icontains")
    search_help_text = "Exact event or tournament id, or part of the title."

    tournament_link = reference_column("tournament")

    @admin.display(description="related rows")
    def related_rows(self, obj: SportEvent) -> SafeString:
        return related_link(BetSelection, "bet selections", "event", obj.pk)


@admin.register(Bet)
class BetAdmin(FeedRowAdmin):
    list_display = (
        "id",
        "player_link",
        "status",
        "type",
        "kind",
        "stake",
        "win_amount",
        "currency",
        "created_at",
        "modified_at",
    )
    list_filter = ("kind", recent_values("status"), recent_values("type"), recent_values("currency"))
    search_fields = ("id__exact", "player__id__exact")
    search_help_text = "Exact bet or player id."

    player_link = reference_column("player")

    @admin.display(description="related rows")
    def related_rows(self, obj: Bet) -> SafeString:
        return related_link(BetSelection, "selections", "bet", obj.pk)


@admin.register(BetSelection)
class BetSelectionAdmin(FeedRowAdmin):
    list_display = ("id", "bet_link", "event_link", "market", "ratio", "status", "created_at", "updated_at")
    list_filter = (recent_values("status"), recent_values("market"))
    search_fields = ("id__exact", "bet__id__exact", "event__id__exact")
    search_help_text = "Exact selection, bet or event id."

    bet_link = reference_column("bet")
    event_link = reference_column("event")
