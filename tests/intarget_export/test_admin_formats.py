"""The admin writes values as the API does: times ``YYYY-MM-DD HH:MM:SS UTC``, money
without padding (``67.16``, not ``67.16000000``), long text cut short; and the site is
named for the service."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from feeds.admin_base import LIST_TEXT_CHARS
from feeds.columns import MONEY
from tests.support.factories import TransactionFactory, WalletFactory, at

pytestmark = pytest.mark.django_db


def changelist(admin_client, name: str) -> str:
    return admin_client.get(reverse(f"admin:{name}_changelist")).content.decode()


def cells(body: str, row_id: str) -> list[str]:
    """The text of each cell of the list row whose first cell links ``row_id``."""
    row = next(row for row in re.findall(r"<tr>(.*?)</tr>", body, re.S) if f">{row_id}</a>" in row)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


def test_list_times_are_written_as_the_api_writes_them(admin_client):
    TransactionFactory(id="t1", updated_at=at("2026-12-01 19:50:07"))
    row = cells(changelist(admin_client, "payments_transaction"), "t1")
    assert "2026-12-01 19:50:07 UTC" in row
    assert "2026-12-01 19:45:07 UTC" in row  # created_at
    assert not any("p.m." in cell for cell in row)


def test_list_money_has_the_api_text_without_padding(admin_client):
    TransactionFactory(id="t1", amount=Decimal("67.16"))
    WalletFactory(id="w1", balance=Decimal("0"))
    WalletFactory(id="w2", balance=Decimal("0.00000001"))
    assert "67.16" in cells(changelist(admin_client, "payments_transaction"), "t1")
    assert "67.16000000" not in changelist(admin_client, "payments_transaction")
    wallets = changelist(admin_client, "payments_wallet")
    # The same text as the feeds' money column.
    assert MONEY.cell(Decimal("0E-8")) in cells(wallets, "w1")
    assert "0.00000001" in cells(wallets, "w2")


def test_list_times_and_money_columns_still_sort_by_their_field(admin_client):
    TransactionFactory(id="early", updated_at=at("2026-12-01 10:00:00"))
    TransactionFactory(id="late", updated_at=at("2026-12-01 11:00:00"))
    body = changelist(admin_client, "payments_transaction")
    for column in ("amount", "created_at", "updated_at"):
        assert f'class="sortable column-{column}' in body, column
    # Column 10 (updated_at) ascending: earliest first, although the list's default is newest first.
    body = admin_client.get(reverse("admin:payments_transaction_changelist"), {"o": "10"}).content.decode()
    assert body.index(">early</a>") < body.index(">late</a>")


def test_long_text_is_cut_short_with_the_whole_text_as_its_tooltip(admin_client):
    system = "a payment system with a name far longer than a list column can hold"
    TransactionFactory(id="t1", payment_system=system)
    body = changelist(admin_client, "payments_transaction")
    assert f'title="{system}"' in body
    shown = next(cell for cell in cells(body, "t1") if cell.startswith("a payment system"))
    assert len(shown) == LIST_TEXT_CHARS and shown.endswith("…")


def test_the_site_is_named_for_the_service_and_view_site_goes_to_the_landing_page(admin_client):
    body = admin_client.get(reverse("admin:index")).content.decode()
    assert "<title>Administration | intarget-export</title>" in body
    assert re.search(r'<div id="site-name"><a href="[^"]+">intarget-export</a>', body)
    assert "Django administration" not in body
    assert re.search(r'<a href="/">View site</a>', body)


def test_every_registered_admin_writes_values_as_the_api_does():
    from django.contrib import admin

    from feeds.admin_base import ApiTextMixin

    plain = [model._meta.label for model, model_admin in admin.site._registry.items() if not isinstance(model_admin, ApiTextMixin)]
    assert plain == []


def test_lists_of_other_apps_write_times_as_the_api_does(admin_client):
    from axes.models import AccessLog

    AccessLog.objects.create(username="someone", ip_address="203.0.113.9", user_agent="curl", path_info="/admin/login/")
    stamped = AccessLog.objects.get(username="someone").attempt_time
    body = changelist(admin_client, "axes_accesslog")
    assert f"{stamped:%Y-%m-%d %H:%M:%S} UTC" in body


def test_read_only_times_on_a_change_page_are_written_as_the_api_does(admin_client):
    TransactionFactory(id="t1", updated_at=at("2026-12-01 19:50:07"))
    body = admin_client.get(reverse("admin:payments_transaction_change", args=["t1"])).content.decode()
    assert re.findall(r'<div class="readonly">(.*?)</div>', body, re.S) == ["t1", "2026-12-01 19:50:07 UTC"]
