"""Keys in the admin: the same rules as ``create_api_key`` (validated by ``services.py``),
the secret shown once, on the answer to the request that made it, revocation as an action."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from access import services
from access.models import ApiKey, Direction
from feeds.admin_base import ApiTextMixin
from feeds.registry import registry

# The secret travels from save_model to response_add on the request that made the key
# (the ModelAdmin is shared by every request), and never further: not in a message, which
# would wait in the session table (and so in WAL and backups) until the next page.
ISSUED_SECRET = "_issued_api_key_secret"
ISSUED_TEMPLATE = "admin/access/apikey/issued.html"


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "active"), ("expired", "expired"), ("revoked", "revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "active":
            return queryset.filter(pk__in=ApiKey.objects.active().values("pk"))
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=timezone.now())
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


# How a feed may be used, by the directions whose keys may open it (services.feeds_for).
FEED_USES = {
    (True, True): "pulled or pushed",
    (True, False): "pulled only",
    (False, True): "pushed only",
}
FEEDS_HELP = (
    "The feeds this key opens. A pull key (InTarget reads) may open the feeds marked "
    "“pulled”, a push key (the product sends rows) those marked “pushed”; "
    "a feed of the other direction is refused. None selected: every feed of the key's direction."
)


def feed_choices() -> list[tuple[str, str]]:
    """Every feed, in the registry's order, labelled with the directions that may open it."""
    pulled, pushed = set(services.feeds_for(Direction.PULL)), set(services.feeds_for(Direction.PUSH))
    return [
        (name, f"{name} — {FEED_USES[name in pulled, name in pushed]}")
        for name in registry()
        if name in pulled or name in pushed
    ]


class ApiKeyForm(forms.ModelForm):
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.PULL, required=False)
    feeds = forms.MultipleChoiceField(
        choices=feed_choices,  # a callable: read when a form is made, once the feeds are known
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=FEEDS_HELP,
    )
    allowed_networks = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        required=False,
        label="Allowed networks",
        help_text="One per line, e.g. 203.0.113.0/24 or 2001:db8::/32; empty: any address.",
    )

    class Meta:
        model = ApiKey
        fields = ["name", "direction", "feeds", "allowed_networks", "expires_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["allowed_networks"] = "\n".join(self.instance.allowed_networks)

    def clean_direction(self) -> str:
        return self.cleaned_data["direction"] or Direction.PULL

    def clean_allowed_networks(self) -> list[str]:
        return services.clean_networks(self.cleaned_data["allowed_networks"].split())

    def clean_expires_at(self) -> Any:
        value = self.cleaned_data["expires_at"]
        if "expires_at" in self.changed_data:
            return services.clean_expiry(value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            cleaned["feeds"] = services.clean_feeds(cleaned.get("feeds") or [], cleaned.get("direction") or Direction.PULL)
        except ValidationError as error:
            self.add_error("feeds", error)
        return cleaned


@admin.register(ApiKey)
class ApiKeyAdmin(ApiTextMixin, admin.ModelAdmin):
    # key_hash appears nowhere: not listed, not a form field, not read-only.
    form = ApiKeyForm
    list_display = ("name", "prefix", "direction", "opens", "comes_from", "expires_at", "last_used_at", "status")
    list_filter = (StatusFilter, "direction")
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke_keys"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str]:
        rules = ["name", "direction", "feeds", "allowed_networks", "expires_at"]
        # On add the service makes the secret and its prefix.
        return rules if obj is None else [*rules, *self.readonly_fields]

    @admin.display(description="feeds")
    def opens(self, key: ApiKey) -> str:
        return ", ".join(key.feeds) or "every feed"

    @admin.display(description="from")
    def comes_from(self, key: ApiKey) -> str:
        return ", ".join(key.allowed_networks) or "any address"

    @admin.display(description="status")
    def status(self, key: ApiKey) -> str:
        if key.revoked_at is not None:
            return "revoked"
        return "expired" if key.is_expired else "active"

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        issued, secret = services.api_key_issue(
            name=data["name"],
            feeds=data["feeds"],
            networks=data["allowed_networks"],
            expires_at=data["expires_at"],
            push=data["direction"] == Direction.PUSH,
        )
        # The admin goes on with `obj` (log entry, the answer): make it the issued row.
        obj.pk = issued.pk
        obj.refresh_from_db()
        setattr(request, ISSUED_SECRET, secret)

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: Any = None) -> HttpResponse:
        """The secret, once, as the answer to the POST that made it (no redirect to a page
        that would need it stored meanwhile); never cached."""
        secret = getattr(request, ISSUED_SECRET, None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "key": obj, "secret": secret}
        context["title"] = f"API key for {obj.name}"
        response = TemplateResponse(request, ISSUED_TEMPLATE, context)
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = services.api_keys_revoke(keys=queryset)
        self.message_user(request, f"{count} key(s) revoked; requests with them now get HTTP 401.")
