"""Expected pulls in the admin: listed with their state now, added and edited with the
same check as ``expect_pulls`` (``validation.py``) and saved by the same service; the
notifications, read only, with their delivery on each channel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from alerts.models import Channel, Delivery, Expectation, Notification
from alerts.selectors import ExpectationState, expectation_state, states_of
from alerts.services import expectations_set
from alerts.validation import Expected, clean_expectation
from feeds.admin_base import ApiTextMixin, CappedCountPaginator, api_time
from feeds.registry import served_feeds
from lib.durations import DURATION_FORM, duration_text

# The form field that carries each part (alerts/validation.py names parts by code).
FIELDS = {"key": "key_name", "feeds": "feed", "every": "every", "grace": "grace"}


class ExpectationForm(forms.ModelForm):
    feed = forms.ChoiceField(choices=[])
    every = forms.CharField(max_length=16, help_text=f"At least one complete pull this often: {DURATION_FORM}.")
    grace = forms.CharField(
        max_length=16, required=False, help_text="Lateness allowed on top of every; empty: the same as every."
    )

    class Meta:
        model = Expectation
        fields = ["key_name", "feed", "every", "grace"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "feed" in self.fields:
            self.fields["feed"].choices = [(name, name) for name in served_feeds()]
        if self.instance.pk:
            self.initial["every"] = duration_text(self.instance.every)
            self.initial["grace"] = duration_text(self.instance.grace)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            expected = clean_expectation(
                key_name=cleaned.get("key_name", self.instance.key_name),
                feeds=[cleaned.get("feed", self.instance.feed)],
                every=cleaned["every"],
                grace=cleaned.get("grace") or None,
            )
        except ValidationError as error:
            field = FIELDS[error.error_list[0].code]
            self.add_error(field if field in self.fields else None, error.messages[0])
            return cleaned
        cleaned["every"], cleaned["grace"] = expected.every, expected.grace
        return cleaned


@admin.register(Expectation)
class ExpectationAdmin(ApiTextMixin, admin.ModelAdmin):
    form = ExpectationForm
    list_display = (
        "key_name", "feed", "every_text", "grace_text", "state", "last_pull_at", "last_to", "gaps", "notified_state",
    )
    list_filter = ("key_name", "feed", "notified_state")
    search_fields = ("key_name",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A key name and feed identify what was notified: to move an expectation,
        # remove it and add another.
        shown = ("set_at", "notified_state", "checked_at")
        return ("key_name", "feed", *shown) if obj is not None else shown

    def save_model(self, request: HttpRequest, obj: Expectation, form: forms.Form, change: bool) -> None:
        (saved,) = expectations_set(expected=Expected(obj.key_name, (obj.feed,), obj.every, obj.grace))
        obj.pk, obj.set_at = saved.pk, saved.set_at

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        # The states of the page's rows at once (states_of: two reads, not two per row).
        rows = list(changelist.result_list)
        for obj, state in zip(rows, states_of(rows, now=timezone.now()), strict=True):
            obj._alert_state = state  # type: ignore[attr-defined]
        return changelist

    def _state(self, obj: Expectation) -> ExpectationState:
        # Read once per page (get_changelist_instance); the columns below share it.
        if not hasattr(obj, "_alert_state"):
            obj._alert_state = expectation_state(obj)  # type: ignore[attr-defined]
        return obj._alert_state  # type: ignore[attr-defined]

    @admin.display(description="every", ordering="every")
    def every_text(self, obj: Expectation) -> str:
        return duration_text(obj.every)

    @admin.display(description="grace", ordering="grace")
    def grace_text(self, obj: Expectation) -> str:
        return duration_text(obj.grace)

    @admin.display(description="state now")
    def state(self, obj: Expectation) -> str:
        state = self._state(obj).state
        return format_html("<strong>{}</strong>", state) if state == "late" else str(state)

    @admin.display(description="last pull ended")
    def last_pull_at(self, obj: Expectation) -> str:
        return api_time(self._state(obj).last_pull_at)

    @admin.display(description="last to")
    def last_to(self, obj: Expectation) -> str:
        return api_time(self._state(obj).last_to)

    @admin.display(description="gaps")
    def gaps(self, obj: Expectation) -> int:
        return len(self._state(obj).gaps)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = readonly_fields = ("channel", "attempts", "last_error", "last_attempt_at", "delivered_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def delivery_text(delivery: Delivery | None) -> str:
    if delivery is None:
        return "-"  # the channel was not configured when the notification was written
    if delivery.delivered_at is not None:
        return f"delivered {api_time(delivery.delivered_at)}" + (
            f" (attempt {delivery.attempts})" if delivery.attempts > 1 else ""
        )
    if delivery.attempts:
        attempts = f"{delivery.attempts} attempt{'s' if delivery.attempts > 1 else ''}"
        return f"pending: {attempts}, last {delivery.last_error}"
    return "pending"


@admin.register(Notification)
class NotificationAdmin(ApiTextMixin, admin.ModelAdmin):
    list_display = ("created_at", "type", "key_name", "feed", "webhook", "email")
    list_filter = ("type", "key_name", "feed")
    date_hierarchy = "created_at"
    paginator = CappedCountPaginator
    show_full_result_count = False
    fields = readonly_fields = ("type", "key_name", "feed", "created_at", "webhook_id", "shown_body")
    inlines = [DeliveryInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        return super().get_queryset(request).prefetch_related("deliveries")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _delivery(self, obj: Notification, channel: str) -> Delivery | None:
        return next((d for d in obj.deliveries.all() if d.channel == channel), None)

    @admin.display(description="webhook")
    def webhook(self, obj: Notification) -> str:
        return delivery_text(self._delivery(obj, Channel.WEBHOOK))

    @admin.display(description="e-mail")
    def email(self, obj: Notification) -> str:
        return delivery_text(self._delivery(obj, Channel.EMAIL))

    @admin.display(description="body (as sent)")
    def shown_body(self, obj: Notification) -> str:
        return format_html("<pre>{}</pre>", obj.body)
