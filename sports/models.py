from django.db import models

from feeds.model_fields import (
    BALANCE_KINDS,
    as_choices,
    external_id,
    loose_reference,
    money,
    optional_text,
)
from feeds.stamping import StampedModel


class Tournament(StampedModel):
    id = external_id("ID", primary_key=True)
    name = models.TextField()
    sport_id = optional_text()
    sport_name = optional_text()
    country_code = optional_text()
    date_start = models.DateTimeField()
    date_end = models.DateTimeField(null=True, blank=True)
    modified_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["modified_at", "id"], name="tournament_window")]

    def __str__(self) -> str:
        return self.name


class SportEvent(StampedModel):
    id = external_id("ID", primary_key=True)
    tournament = loose_reference(Tournament, related_name="events")
    title = models.TextField()
    status = models.TextField()
    start_time = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)
    type = models.TextField()
    modified_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["modified_at", "id"], name="sport_event_window")]

    def __str__(self) -> str:
        return self.title


class Bet(StampedModel):
    id = external_id("ID", primary_key=True)
    player = loose_reference("players.Player", related_name="bets")
    status = optional_text()
    type = models.TextField()
    stake = money(null=True, blank=True)
    win_amount = money(null=True, blank=True)
    currency = models.CharField(max_length=16, null=True, blank=True)
    kind = models.CharField(max_length=16, choices=as_choices(BALANCE_KINDS), null=True, blank=True)
    created_at = models.DateTimeField()
    user_agent = optional_text()
    modified_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["modified_at", "id"], name="bet_window")]

    def __str__(self) -> str:
        return f"bet {self.id} of {self.player_id}"


class BetSelection(StampedModel):
    window_field = "updated_at"

    id = external_id("ID", primary_key=True)
    bet = loose_reference(Bet, related_name="selections")
    event = loose_reference(SportEvent, related_name="selections")
    ratio = money(max_digits=20, null=True, blank=True)
    status = optional_text()
    market = models.TextField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["updated_at", "id"], name="bet_selection_window")]

    def __str__(self) -> str:
        return f"selection {self.id} of bet {self.bet_id}"
