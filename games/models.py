from django.db import models

# Amounts read as the feeds write them (67.16), also where the admin names a row.
from feeds.columns import MONEY
from feeds.model_fields import (
    BALANCE_KINDS,
    as_choices,
    external_id,
    loose_reference,
    money,
    optional_text,
)
from feeds.stamping import StampedModel


class GameAction(StampedModel):
    """One bet or win inside a casino game session; the games feed aggregates them.

    ``created_at`` is when the action happened in the product and comes from the loader.
    ``recorded_at`` is when this service recorded it, stamped by the service, so that an
    action loaded after its window was served still reaches InTarget.
    """

    window_field = "recorded_at"

    ACTIONS = ("bet", "win")

    id = external_id(primary_key=True)
    session_id = external_id()
    player = loose_reference("players.Player", related_name="game_actions")
    game_code = optional_text()
    game_name = models.TextField()
    game_vendor = optional_text()
    currency = models.CharField(max_length=16)
    action = models.CharField(max_length=3, choices=as_choices(ACTIONS))
    amount = money()
    balance_type = models.CharField(max_length=16, choices=as_choices(BALANCE_KINDS), null=True, blank=True)
    ip = optional_text()
    user_agent = optional_text()
    ref_code = optional_text()
    created_at = models.DateTimeField()
    recorded_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The games feed's window selects sessions by either time: with the session
            # in the index, an index-only scan (no visit of the wide action rows). The
            # recording index holds created_at too, so that the actions recorded in the
            # window that also happened in it (nearly all) are skipped inside the index.
            models.Index(fields=["created_at", "session_id"], name="action_time"),
            models.Index(fields=["recorded_at", "created_at", "session_id"], name="action_recorded"),
            # Serves the aggregation and the first-action lookup of a session.
            models.Index(fields=["session_id", "created_at", "id"], name="action_session"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {MONEY.cell(self.amount)} {self.currency} in session {self.session_id}"


class GameSession(models.Model):
    """A casino game session as the ``games`` feed serves it: the aggregates over all of
    its actions and the descriptive columns of its first action (by time, then id).

    Written only by the database's own triggers on ``games_gameaction``
    (``games/session_triggers.py``), in the same transaction as the action write, so
    that finality, which watches the actions' table, covers it too; never by the
    service (so it has no factory: GameActionFactory's rows make it).
    tests/games/test_properties_games.py compares it with the aggregation from scratch.
    """

    session_id = external_id(primary_key=True)
    player = loose_reference("players.Player", related_name="game_sessions")
    # The first action: its id orders ties of created_at, as in the aggregation.
    first_action_id = external_id()
    game_code = optional_text()
    game_name = models.TextField()
    game_vendor = optional_text()
    currency = models.CharField(max_length=16)
    balance_type = models.CharField(max_length=16, choices=as_choices(BALANCE_KINDS), null=True, blank=True)
    ip = optional_text()
    user_agent = optional_text()
    ref_code = optional_text()
    bet_count = models.IntegerField()
    win_count = models.IntegerField()
    # Sums of many amounts: wider than one amount.
    bet_amount = money(max_digits=38)
    win_amount = money(max_digits=38)
    created_at = models.DateTimeField()  # the first action's
    updated_at = models.DateTimeField()  # the last action's

    class Meta:
        verbose_name = "game session (as the games feed serves it)"
        verbose_name_plural = "game sessions (as the games feed serves them)"
        indexes = [
            # The admin's list, newest first, and its drill-down by day.
            models.Index(fields=["created_at", "session_id"], name="session_started"),
        ]

    def __str__(self) -> str:
        return f"session {self.session_id}"
