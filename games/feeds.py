from feeds import columns as k
from feeds.model_fields import BALANCE_KINDS
from feeds.registry import Column, Digest, Feed
from games.models import GameAction
from games.selectors import game_sessions_in_window, game_sessions_updated_in

FEEDS = (
    Feed(
        name="games",
        model=GameAction,
        window_field="created_at",
        id_field="session_id",
        reader=game_sessions_in_window,
        orders_own_rows=True,  # by (updated_at, session_id): the selector's docstring
        importable=False,
        # A consumer holds each session's latest row, placed by its last action.
        digest=Digest(
            ("session_id", "updated_at", "bet_count", "win_count"), window="updated_at", reader=game_sessions_updated_in
        ),
        columns=(
            Column("player_id", k.ID, required=True),
            Column("session_id", k.ID, required=True),
            Column("game_code"),
            Column("game_name", required=True),
            Column("currency", required=True),
            Column("bet_count", k.INTEGER, required=True),
            Column("win_count", k.INTEGER, required=True),
            Column("bet_amount", k.MONEY, required=True),
            Column("win_amount", k.MONEY, required=True),
            Column("created_at", k.TIMESTAMP, required=True),
            Column("updated_at", k.TIMESTAMP, required=True),
            Column("game_vendor"),
            Column("balance_type"),
            Column("ip"),
            Column("user_agent"),
            Column("ref_code"),
        ),
    ),
    # Loaded by import_feed and aggregated into `games`; not one of InTarget's feeds.
    Feed(
        name="game-actions",
        model=GameAction,
        window_field="recorded_at",
        stamp_follows="created_at",
        served=False,
        columns=(
            Column("id", k.ID, required=True),
            Column("session_id", k.ID, required=True),
            Column("player_id", k.ID, required=True),
            Column("game_code"),
            Column("game_name", required=True),
            Column("game_vendor"),
            Column("currency", k.Text(max_length=16), required=True),
            Column("action", k.Text(choices=GameAction.ACTIONS), required=True),
            Column("amount", k.MONEY, required=True),
            Column("balance_type", k.Text(choices=BALANCE_KINDS)),
            Column("ip"),
            Column("user_agent"),
            Column("ref_code"),
            Column("created_at", k.TIMESTAMP, required=True),
        ),
    ),
)
