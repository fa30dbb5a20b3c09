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


class Transaction(StampedModel):
    window_field = "updated_at"

    TYPES = ("Normal", "Prize", "Compensation", "Cash back", "Other")
    STATUSES = ("New", "Process", "Success", "Fail")
    DIRECTIONS = ("IN", "OUT")

    id = external_id("ID", primary_key=True)
    player = loose_reference("players.Player", related_name="transactions")
    amount = money()
    currency = models.CharField(max_length=16)
    type = models.CharField(max_length=16, choices=as_choices(TYPES), null=True, blank=True)
    status = models.CharField(max_length=16, choices=as_choices(STATUSES), null=True, blank=True)
    payment_system = optional_text()
    dir = models.CharField(max_length=3, choices=as_choices(DIRECTIONS))
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    invoice_id = optional_text()
    wallet_id = optional_text()
    user_agent = optional_text()
    ip = optional_text("IP address")
    requisite = optional_text()
    comment = optional_text()

    class Meta:
        indexes = [models.Index(fields=["updated_at", "id"], name="transaction_window")]

    def __str__(self) -> str:
        return f"{self.dir} {MONEY.cell(self.amount)} {self.currency} ({self.id})"


class Wallet(StampedModel):
    id = external_id("ID", primary_key=True)
    player = loose_reference("players.Player", related_name="wallets")
    type = models.CharField(max_length=16, choices=as_choices(BALANCE_KINDS))
    balance = money()
    currency = models.CharField(max_length=16)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["modified_at", "id"], name="wallet_window")]

    def __str__(self) -> str:
        return f"{self.type} wallet {self.id}: {MONEY.cell(self.balance)} {self.currency}"
