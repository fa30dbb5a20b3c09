from feeds import columns as k
from feeds.model_fields import BALANCE_KINDS
from feeds.registry import Column, Feed
from payments.models import Transaction, Wallet

FEEDS = (
    Feed(
        name="transactions",
        model=Transaction,
        window_field="updated_at",
        columns=(
            Column("id", k.ID, required=True),
            Column("player_id", k.ID, required=True),
            Column("amount", k.MONEY, required=True),
            Column("currency", k.Text(max_length=16), required=True),
            Column("type", k.Text(choices=Transaction.TYPES)),
            Column("status", k.Text(choices=Transaction.STATUSES)),
            Column("payment_system"),
            Column("dir", k.Text(choices=Transaction.DIRECTIONS), required=True),
            Column("created_at", k.TIMESTAMP, required=True),
            Column("updated_at", k.TIMESTAMP, required=True),
            Column("invoice_id"),
            Column("wallet_id"),
            Column("user_agent"),
            Column("ip"),
            Column("requisite"),
            Column("comment"),
        ),
    ),
    Feed(
        name="wallets",
        model=Wallet,
        window_field="modified_at",
        columns=(
            Column("id", k.ID, required=True),
            Column("player_id", k.ID, required=True),
            Column("type", k.Text(choices=BALANCE_KINDS), required=True),
            Column("balance", k.MONEY, required=True),
            Column("currency", k.Text(max_length=16), required=True),
            Column("created_at", k.TIMESTAMP, required=True),
            Column("modified_at", k.TIMESTAMP, required=True),
        ),
    ),
)
