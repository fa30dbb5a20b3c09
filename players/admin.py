from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from feeds.admin_base import (
    ApiTextMixin,
    FeedRowAdmin,
    add_url,
    change_url,
    recent_values,
    reference_column,
    related_link,
)
from feeds.columns import CUSTOM_KINDS, format_timestamp
from games.models import GameAction
from payments.models import Transaction, Wallet
from players.models import Contact, CustomField, Login, Player
from players.services import custom_field_define, player_set_custom_values
from sports.models import Bet

# Form field names of custom values. Django forbids "__" in model field names, so these
# cannot clash with a Player field, whatever name the operator chose.
CUSTOM_PREFIX = "custom__"


def custom_form_field(field: CustomField) -> forms.Field:
    label = f"{field.name} ({field.type})"
    if field.type == "integer":
        return forms.IntegerField(required=False, label=label)
    if field.type == "decimal":
        return forms.DecimalField(required=False, label=label, max_digits=30, decimal_places=2)
    if field.type == "datetime":
        return forms.DateTimeField(required=False, label=label, help_text="UTC, YYYY-MM-DD HH:MM:SS")
    return forms.CharField(required=False, label=label, empty_value=None)


def canonical_text(type: str, value: Any) -> str | None:
    """The text import would store: the form's value written out, then the kind's own parse.

    Raises ValueError, stating the expected form, when the kind refuses it.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        text = format_timestamp(value)
    elif isinstance(value, Decimal):
        text = format(value, "f")
    else:
        text = str(value)
    return CUSTOM_KINDS[type].parse(text)


class CustomValuesForm(forms.ModelForm):
    """A player form with one field per defined custom field, initialised from its values."""

    custom_fields: ClassVar[tuple[CustomField, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored: dict[str, Any] = self.instance.custom or {}
        for field in self.custom_fields:
            name = CUSTOM_PREFIX + field.name
            # Typed like the submitted value, so that an untouched field is not "changed".
            try:
                initial = self.fields[name].to_python(self.stored.get(field.name))
            except forms.ValidationError:
                initial = self.stored.get(field.name)  # shown as stored, to be corrected
            self.initial.setdefault(name, initial)
        self.custom_values: dict[str, str | None] = {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for field in self.custom_fields:
            name = CUSTOM_PREFIX + field.name
            if name not in self.changed_data or name not in cleaned:
                continue
            try:
                value = canonical_text(field.type, cleaned[name])
            except ValueError as error:
                self.add_error(name, str(error))
                continue
            # Only a new value is written: rewriting the same text would move modified_at.
            if value != self.stored.get(field.name):
                self.custom_values[field.name] = value
        return cleaned


def custom_values_form(base: type[forms.ModelForm]) -> type[forms.ModelForm]:
    fields = tuple(CustomField.objects.order_by("id"))
    declared: dict[str, Any] = {CUSTOM_PREFIX + field.name: custom_form_field(field) for field in fields}
    return type(base.__name__, (CustomValuesForm, base), {**declared, "custom_fields": fields})


@admin.register(Player)
class PlayerAdmin(FeedRowAdmin):
    list_display = (
        "id",
        "first_name",
        "last_name",
        "country",
        "registered_at",
        "modified_at",
        "is_blocked",
        "self_excluded",
    )
    list_filter = ("is_blocked", "self_excluded", recent_values("country"), recent_values("locale"))
    search_fields = (
        "id__exact",
        "contact__email__iexact",
        "contact__phone__exact",
        "first_name__istartswith",
        "last_name__istartswith",
    )
    search_help_text = "Exact id, e-mail or phone; or the beginning of a first or last name."
    # Edited through the typed custom-value fields instead.
    exclude = ("custom",)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = custom_values_form(kwargs.get("form", self.form))
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = self.get_fields(request, obj)
        custom = [name for name in fields if name.startswith(CUSTOM_PREFIX)]
        related = [name for name in fields if name == "related_rows"]
        main = [name for name in fields if name not in custom and name not in related]
        fieldsets: list[tuple[str | None, dict[str, Any]]] = [(None, {"fields": main})]
        if custom:
            fieldsets.append(("Custom fields", {"fields": custom}))
        if related:
            fieldsets.append(("Related rows", {"fields": related}))
        return fieldsets

    def save_model(self, request: HttpRequest, obj: Player, form: Any, change: bool) -> None:
        if form.custom_values:
            # The service saves the whole row, the form's other changes included.
            player_set_custom_values(player=obj, values=form.custom_values)
        elif form.has_changed() or not change:
            # An unchanged form does not save: saving would move modified_at and resend the row.
            super().save_model(request, obj, form, change)

    @admin.display(description="related rows")
    def related_rows(self, obj: Player) -> SafeString:
        links = [
            contact_link(obj.pk),
            related_link(Transaction, "transactions", "player", obj.pk),
            related_link(Wallet, "wallets", "player", obj.pk),
            related_link(Login, "logins", "player", obj.pk),
            related_link(GameAction, "game actions", "player", obj.pk),
            related_link(Bet, "bets", "player", obj.pk),
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((link,) for link in links))


def contact_link(player_id: str) -> SafeString:
    if Contact.objects.filter(pk=player_id).exists():
        return format_html('<a href="{}">contact</a>', change_url(Contact, player_id))
    return format_html('no contact loaded (<a href="{}">add one</a>)', add_url(Contact, player_id=player_id))


@admin.register(Contact)
class ContactAdmin(FeedRowAdmin):
    list_display = ("player_link", "email", "email_subscribe", "phone", "phone_subscribe", "modified_at")
    list_filter = ("email_subscribe", "phone_subscribe")
    search_fields = ("player__id__exact", "email__iexact", "phone__exact")
    search_help_text = "Exact player id, e-mail or phone."

    player_link = reference_column("player")


@admin.register(Login)
class LoginAdmin(FeedRowAdmin):
    list_display = ("id", "player_link", "created_at", "is_success", "fail_reason", "ip", "host")
    list_filter = ("is_success", recent_values("host"), recent_values("traffic_source"))
    search_fields = ("id__exact", "player__id__exact", "ip__exact")
    search_help_text = "Exact login id, player id or IP address."

    player_link = reference_column("player")


@admin.register(CustomField)
class CustomFieldAdmin(ApiTextMixin, admin.ModelAdmin):
    list_display = ("name", "type", "created_at")
    list_filter = ("type",)
    search_fields = ("name",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str]:
        # A rename would orphan the stored values, a new type would make them unparsable.
        return ("name", "type", "created_at") if obj is not None else ("created_at",)

    def save_model(self, request: HttpRequest, obj: CustomField, form: Any, change: bool) -> None:
        if change:
            return super().save_model(request, obj, form, change)
        # The form ran the same validation; the service is the one way fields are defined.
        defined = custom_field_define(name=obj.name, type=obj.type)
        # The admin goes on with `obj` (log entry, redirect): make it the defined row.
        obj.pk, obj.created_at = defined.pk, defined.created_at

    def formfield_for_dbfield(self, db_field: models.Field, request: HttpRequest, **kwargs: Any) -> Any:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "name" and formfield is not None:
            formfield.help_text = "Becomes a column of the users feed; standard column names are refused."
            # Refused as typed, as define_custom_field refuses it, not trimmed into another name.
            formfield.strip = False
        return formfield
