"""Which columns of which feed hold a player's personal data: what an erasure blanks.

Every column of every feed is either listed here as personal or in ``KEPT`` with the
reason it stays (tests/privacy/test_erasure_inventory.py checks both lists against the feed
registry, so a column added to a feed must be classified before the tests pass).

Blank is what the feed contract calls an absent value (feeds.md section 2): NULL in the
table, so an empty CSV field and JSON ``null``. Every personal column is optional, so an
erased row stays valid for every feed. ``custom`` string values of ``users`` are
personal too (free text about the player); they are removed from the row (``services.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from games.models import GameAction
from payments.models import Transaction
from players.models import Contact, Login, Player
from sports.models import Bet


@dataclass(frozen=True)
class PersonalColumns:
    """The personal columns of one table, and how its rows name their player."""

    feed: str
    model: type[models.Model]
    player_field: str
    fields: tuple[str, ...]
    # The served feed that aggregates this table's rows, when it is not ``feed`` itself.
    served_as: str | None = None

    @property
    def table(self) -> str:
        return self.model._meta.db_table


PERSONAL = (
    PersonalColumns("users", Player, "id", ("first_name", "last_name", "gender", "city", "ip", "birthday", "user_agent")),
    # The confirmation times describe the erased address or number.
    PersonalColumns(
        "contacts", Contact, "player_id", ("email", "email_confirmed_at", "phone", "phone_confirmed_at", "push_token")
    ),
    PersonalColumns("logins", Login, "player_id", ("ip", "user_agent")),
    # comment: free text an operator wrote about the payment, which may name the person.
    PersonalColumns("transactions", Transaction, "player_id", ("user_agent", "ip", "requisite", "comment")),
    # games serves the first action's ip and user_agent; the session is served again
    # through its changed actions' recorded_at, as for late actions.
    PersonalColumns("game-actions", GameAction, "player_id", ("ip", "user_agent"), served_as="games"),
    PersonalColumns("bets", Bet, "player_id", ("user_agent",)),
)

_IDS_AND_TIMES = "ids, amounts and times are kept: they identify no one outside the product"
_ATTRIBUTION = "marketing attribution of the account (affiliate code, source, mirror host), not of the person"
_COARSE = "coarse: identifies no one, and reports on the kept amounts need it"
_STATE = "the account's state; a block or a self-exclusion must outlive the erasure"
_CONSENT = "consent flags: an erased player must not become subscribed"
_NOT_PLAYERS = "describes no player"
_OUTCOME = "the outcome of a login attempt, not about the person"

# feed -> column -> why it is kept.
KEPT: dict[str, dict[str, str]] = {
    "users": {
        "id": _IDS_AND_TIMES,
        "registered_at": _IDS_AND_TIMES,
        "modified_at": _IDS_AND_TIMES,
        "country": _COARSE,
        "locale": _COARSE,
        "ref_code": _ATTRIBUTION,
        "traffic_source": _ATTRIBUTION,
        "is_blocked": _STATE,
        "self_excluded": _STATE,
    },
    "contacts": {
        "player_id": _IDS_AND_TIMES,
        "created_at": _IDS_AND_TIMES,
        "modified_at": _IDS_AND_TIMES,
        "email_subscribe": _CONSENT,
        "phone_subscribe": _CONSENT,
    },
    "logins": {
        "id": _IDS_AND_TIMES,
        "player_id": _IDS_AND_TIMES,
        "created_at": _IDS_AND_TIMES,
        "ref_code": _ATTRIBUTION,
        "traffic_source": _ATTRIBUTION,
        "host": _ATTRIBUTION,
        "is_success": _OUTCOME,
        "fail_reason": _OUTCOME,
    },
    "transactions": {
        **dict.fromkeys(
            ("id", "player_id", "amount", "currency", "type", "status", "payment_system", "dir", "created_at",
             "updated_at", "invoice_id", "wallet_id"),
            _IDS_AND_TIMES,
        ),
    },
    "wallets": dict.fromkeys(
        ("id", "player_id", "type", "balance", "currency", "created_at", "modified_at"), _IDS_AND_TIMES
    ),
    "game-actions": {
        **dict.fromkeys(
            ("id", "session_id", "player_id", "game_code", "game_name", "game_vendor", "currency", "action", "amount",
             "balance_type", "created_at"),
            _IDS_AND_TIMES,
        ),
        "ref_code": _ATTRIBUTION,
    },
    "games": {
        **dict.fromkeys(
            ("player_id", "session_id", "game_code", "game_name", "currency", "bet_count", "win_count", "bet_amount",
             "win_amount", "created_at", "updated_at", "game_vendor", "balance_type"),
            _IDS_AND_TIMES,
        ),
        "ref_code": _ATTRIBUTION,
    },
    "bets": dict.fromkeys(
        ("id", "player_id", "status", "type", "stake", "win_amount", "currency", "kind", "created_at", "modified_at"),
        _IDS_AND_TIMES,
    ),
    "bet-selections": dict.fromkeys(
        ("id", "bet_id", "event_id", "ratio", "status", "market", "created_at", "updated_at"), _NOT_PLAYERS
    ),
    "tournaments": dict.fromkeys(
        ("id", "name", "sport_id", "sport_name", "country_code", "dateStart", "dateEnd", "modified_at"), _NOT_PLAYERS
    ),
    "sport-events": dict.fromkeys(
        ("id", "tournament_id", "title", "status", "startTime", "endTime", "type", "modified_at"), _NOT_PLAYERS
    ),
    # A tombstone names a feed, a row's id and a time; an erasure deletes nothing.
    "deletions": dict.fromkeys(("feed", "id", "deleted_at"), _IDS_AND_TIMES),
}


def personal_columns_of(feed: str) -> tuple[str, ...]:
    """The personal columns a feed serves (``games``: those of its game actions)."""
    return tuple(
        field for entry in PERSONAL if feed in (entry.feed, entry.served_as) for field in entry.fields
    )
