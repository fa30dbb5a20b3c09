from django.contrib import admin
from django.utils.safestring import SafeString

from feeds.admin_base import FeedRowAdmin, recent_values, reference_column, related_link
from payments.models import Transaction, Wallet


@admin.register(Transaction)
class TransactionAdmin(FeedRowAdmin):
    list_display = (
        "id",
        "player_link",
        "dir",
        "type",
        "status",
        "amount",
        "currency",
        "payment_system",
        "created_at",
        "updated_at",
    )
    list_filter = ("dir", "type", "status", recent_values("currency"), recent_values("payment_system"))
    search_fields = ("id__exact", "player__id__exact", "invoice_id__exact", "wallet_id__exact")
    search_help_text = "Exact transaction, player, invoice or wallet id."

    player_link = reference_column("player")


@admin.register(Wallet)
class WalletAdmin(FeedRowAdmin):
    list_display = ("id", "player_link", "type", "balance", "currency", "created_at", "modified_at")
    list_filter = ("type", recent_values("currency"))
    search_fields = ("id__exact", "player__id__exact")
    search_help_text = "Exact wallet or player id."

    player_link = reference_column("player")

    @admin.display(description="related rows")
    def related_rows(self, obj: Wallet) -> SafeString:
        # transactions.wallet_id is free text from the product, not a reference.
        return related_link(Transaction, "transactions", "wallet_id", obj.pk)
