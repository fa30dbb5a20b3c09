from feeds import columns as k
from feeds.model_fields import BALANCE_KINDS
from feeds.registry import Column, Feed
from sports.models import Bet, BetSelection, SportEvent, Tournament

FEEDS = (
    Feed(
        name="tournaments",
        model=Tournament,
        window_field="modified_at",
        window_optional=True,
        columns=(
            Column("id", k.ID, required=True),
            Column("name", required=True),
            Column("sport_id"),
            Column("sport_name"),
            Column("country_code"),
            Column("dateStart", k.TIMESTAMP, required=True, source="date_start"),
            Column("dateEnd", k.TIMESTAMP, source="date_end"),
            Column("modified_at", k.TIMESTAMP, required=True),
        ),
    ),
    Feed(
        name="sport-events",
        model=SportEvent,
        window_field="modified_at",
        window_optional=True,
        columns=(
            Column("id", k.ID, required=True),
            Column("tournament_id", k.ID, required=True),
            Column("title", required=True),
            Column("status", required=True),
            Column("startTime", k.TIMESTAMP, required=True, source="start_time"),
            Column("endTime", k.TIMESTAMP, source="end_time"),
            Column("type", required=True),
            Column("modified_at", k.TIMESTAMP, required=True),
        ),
    ),
    Feed(
        name="bets",
        model=Bet,
        window_field="modified_at",
        columns=(
            Column("id", k.ID, required=True),
            Column("player_id", k.ID, required=True),
            Column("status"),
            Column("type", required=True),
            Column("stake", k.MONEY),
            Column("win_amount", k.MONEY),
            Column("currency", k.Text(max_length=16)),
            Column("kind", k.Text(choices=BALANCE_KINDS)),
            Column("created_at", k.TIMESTAMP, required=True),
            Column("user_agent"),
            Column("modified_at", k.TIMESTAMP, required=True),
        ),
    ),
    Feed(
        name="bet-selections",
        model=BetSelection,
        window_field="updated_at",
        columns=(
            Column("id", k.ID, required=True),
            Column("bet_id", k.ID, required=True),
            Column("event_id", k.ID, required=True),
            Column("ratio", k.Money(decimal_places=8, max_digits=20)),
            Column("status"),
            Column("market", required=True),
            Column("created_at", k.TIMESTAMP, required=True),
            Column("updated_at", k.TIMESTAMP, required=True),
        ),
    ),
)
