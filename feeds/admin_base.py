"""What every feed table's admin shares: tuned for big tables, and for loose references.

- No COUNT(*) over a whole table: ``show_full_result_count = False`` and a paginator that
  counts at most ``COUNT_CAP`` rows; list filters on open-ended text read recent rows only.
- Ordered by (window timestamp, id) descending, which the feed index serves backwards.
- The window timestamp is the service's to stamp (``feeds.stamping``), so it is
  read-only; saving through the admin stamps it like any other write.
- References between feeds carry no database constraint: a transaction may name a player
  that is not loaded yet. They are edited as plain ids, listed as links that load nothing,
  and never joined by ``select_related`` (a join would hide the row whose player is absent).
- Lists show values as the API writes them (``ApiTextMixin``): times
  ``YYYY-MM-DD HH:MM:SS UTC``, money without padding (``67.16``, not ``67.16000000``), and
  long text cut short, so that a list fits a 1400 px screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.utils import quote
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator, capfirst

from feeds.columns import MONEY, format_timestamp
from feeds.model_fields import ID_LENGTH

# Rows a changelist counts at most; past it the pages stop, and the operator narrows the
# list with the date hierarchy, a filter or a search. The pager then shows this number.
COUNT_CAP = 10_000
# Rows a filter on open-ended text (currency, host…) reads to offer its values.
RECENT_SAMPLE = 10_000
# Related rows counted on a change page at most ("1000+").
RELATED_CAP = 1_000


# Characters of free text a list column shows; the whole text is its tooltip.
LIST_TEXT_CHARS = 32


def api_time(value: Any) -> str:
    """A time as the feeds write it, with its zone said: ``2026-12-01 19:50:00 UTC``."""
    return "-" if value is None else f"{format_timestamp(value)} UTC"


def api_money(value: Any) -> str:
    """An amount as the feeds write it (the money column's own cell): ``67.16``, ``0``."""
    return "-" if value is None else MONEY.cell(value)


def short_text(value: Any, chars: int = LIST_TEXT_CHARS) -> str:
    if value in (None, ""):
        return "-"
    text = str(value)
    if len(text) <= chars:
        return text
    return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(chars))


def api_text_column(field: models.Field) -> Callable[[Any, models.Model], str]:
    """A list_display column showing ``field`` as the API writes it, sorted by the field."""
    if isinstance(field, models.DateTimeField):
        show: Callable[[Any], str] = api_time
    elif isinstance(field, models.DecimalField):
        show = api_money
    else:
        show = short_text

    def column(obj: models.Model) -> str:
        return show(getattr(obj, field.attname))

    column.__name__ = field.name
    return admin.display(description=field.verbose_name, ordering=field.name)(column)


class ApiTextMixin:
    """For a ModelAdmin: list columns that are times, amounts or free text show as the
    API writes them (``api_time``, ``api_money``, ``short_text``); others as Django does.

    Django's own display would localise times (``Dec. 1, 2026, 7:50 p.m.``: no seconds,
    no zone) and pad amounts to the column's scale; the operator compares the admin with
    the CSV InTarget received, so both must read the same.
    """

    def get_list_display(self, request: HttpRequest) -> Sequence[Any]:
        names = super().get_list_display(request)  # type: ignore[misc]
        return [self._api_column(name) for name in names]

    def _api_column(self, name: Any) -> Any:
        # The same callable each time: the changelist finds its sortable columns by
        # identity in a second call of get_list_display (get_sortable_by).
        columns = self.__dict__.setdefault("_api_columns", {})
        if name not in columns:
            columns[name] = self._make_api_column(name)
        return columns[name]

    def _make_api_column(self, name: Any) -> Any:
        if not isinstance(name, str):
            return name
        try:
            field = self.model._meta.get_field(name)  # type: ignore[attr-defined]
        except FieldDoesNotExist:  # a method's name: shown as the method writes it
            return name
        long_text = isinstance(field, models.TextField) or (
            isinstance(field, models.CharField) and (field.max_length or 0) > LIST_TEXT_CHARS and not field.choices
        )
        if isinstance(field, (models.DateTimeField, models.DecimalField)) or long_text:
            return api_text_column(field)
        return name


class CappedCountPaginator(Paginator):
    """Counts with ``SELECT COUNT(*) FROM (… LIMIT cap)``, bounded whatever the table's size."""

    @cached_property
    def count(self) -> int:
        return self.object_list[:COUNT_CAP].count()


class RecentValuesFilter(admin.SimpleListFilter):
    """Offers the values seen in the latest rows, not a DISTINCT over the whole table."""

    field: ClassVar[str]

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        model = model_admin.model
        recent = model._default_manager.order_by(f"-{model.window_field}").values_list(self.field, flat=True)
        values = {value for value in recent[:RECENT_SAMPLE] if value not in (None, "")}
        return [(value, value) for value in sorted(values)]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        value = self.value()
        return queryset if value is None else queryset.filter(**{self.field: value})


def recent_values(field: str) -> type[RecentValuesFilter]:
    """A list filter on ``field`` (free text such as ``currency``) for a big table."""
    attrs = {"field": field, "title": field.replace("_", " "), "parameter_name": field}
    return type(f"Recent{field.title().replace('_', '')}Filter", (RecentValuesFilter,), attrs)


def loose_references(model: type[models.Model]) -> list[models.ForeignKey]:
    """Foreign keys without a database constraint: the row they name may not be loaded yet."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and not field.db_constraint
    ]


class LooseReferenceForm(forms.ModelForm):
    """Edits each loose reference as the id it holds (``player_id``), not as a choice.

    A choice field, and the model's own validation of the foreign key, would refuse an id
    whose row is not loaded yet; the feeds accept one, so the admin does too.
    """

    loose: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for attname in self.loose:
            self.initial.setdefault(attname, getattr(self.instance, attname))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        model = self._meta.model
        for attname in self.loose:
            if attname not in cleaned:
                continue
            value = cleaned[attname]
            # A reference that is also the primary key (contacts) escapes the model's
            # uniqueness check once it is edited as an id: check it here.
            adding_pk = model._meta.pk.attname == attname and self.instance._state.adding
            if adding_pk and model._default_manager.filter(pk=value).exists():
                self.add_error(attname, f"{model._meta.verbose_name} {value} already exists")
                continue
            setattr(self.instance, attname, value)
        return cleaned


def loose_reference_form(base: type[forms.ModelForm], fields: Sequence[models.ForeignKey]) -> type[forms.ModelForm]:
    declared: dict[str, Any] = {
        field.attname: forms.CharField(
            max_length=ID_LENGTH,
            required=not field.null,
            label=capfirst(f"{field.verbose_name} id"),
            help_text=f"The {field.verbose_name}'s id; that {field.verbose_name} need not be loaded yet.",
            widget=widgets.AdminTextInputWidget,
        )
        for field in fields
    }
    return type(base.__name__, (LooseReferenceForm, base), {**declared, "loose": tuple(declared)})


def change_url(model: type[models.Model], pk: Any) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(pk)])


def changelist_url(model: type[models.Model], **params: Any) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def add_url(model: type[models.Model], **initial: Any) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    return f"{url}?{urlencode(initial)}" if initial else url


def reference_link(model: type[models.Model], pk: Any) -> str:
    """A link to the row ``pk`` names; nothing is loaded, so an absent row costs nothing."""
    if pk is None:
        return "-"
    return format_html('<a href="{}">{}</a>', change_url(model, pk), pk)


def reference_column(name: str) -> Callable[[Any, models.Model], str]:
    """A list_display column for the loose reference ``name``, sorted by its id."""

    def column(model_admin: Any, obj: models.Model) -> str:
        field = obj._meta.get_field(name)
        return reference_link(field.related_model, getattr(obj, field.attname))  # type: ignore[arg-type]

    return admin.display(description=name.replace("_", " "), ordering=f"{name}_id")(column)


def capped_count(queryset: models.QuerySet) -> str:
    count = queryset[: RELATED_CAP + 1].count()
    return f"{RELATED_CAP}+" if count > RELATED_CAP else str(count)


def related_link(model: type[models.Model], label: str, reference: str, value: Any) -> SafeString:
    """A link to ``model``'s changelist of rows whose ``reference`` is ``value``, with a bounded count."""
    field = model._meta.get_field(reference)
    if isinstance(field, models.ForeignKey):
        # The changelist's own spelling (as its filters write it); the count reads the column.
        param, lookup = f"{field.name}__{field.target_field.name}__exact", field.attname
    else:
        param = lookup = field.name
    count = capped_count(model._default_manager.filter(**{lookup: value}))
    return format_html('<a href="{}">{} ({})</a>', changelist_url(model, **{param: value}), label, count)


class FeedRowAdmin(ApiTextMixin, admin.ModelAdmin):
    """The admin of a feed table (a ``StampedModel``)."""

    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 100
    # Never join: see the module docstring.
    list_select_related = ()
    # Feed columns are TextFields: one line each, not a textarea.
    formfield_overrides = {models.TextField: {"widget": widgets.AdminTextInputWidget}}

    def __init__(self, model: type[models.Model], admin_site: admin.AdminSite):
        super().__init__(model, admin_site)
        # Operators browse a feed by its window timestamp.
        self.date_hierarchy = self.date_hierarchy or model.window_field  # type: ignore[attr-defined]

    def get_ordering(self, request: HttpRequest) -> Sequence[str]:
        return self.ordering or (f"-{self.model.window_field}", f"-{self.model._meta.pk.attname}")

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> Sequence[str]:
        fields = [*super().get_readonly_fields(request, obj), self.model.window_field]
        if obj is not None:
            # Changing an id in a form would copy the row under a new id, not rename it.
            fields.insert(0, self.model._meta.pk.attname)
            # Links to the rows that name this one; a row being added has none.
            if hasattr(self, "related_rows"):
                fields.append("related_rows")
        return list(dict.fromkeys(fields))

    def get_exclude(self, request: HttpRequest, obj: models.Model | None = None) -> Sequence[str]:
        excluded = list(super().get_exclude(request, obj) or ())
        return [*excluded, *(field.name for field in loose_references(self.model))]

    def get_form(
        self, request: HttpRequest, obj: models.Model | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        readonly = set(self.get_readonly_fields(request, obj))
        refs = [field for field in loose_references(self.model) if field.attname not in readonly]
        if refs:
            kwargs["form"] = loose_reference_form(kwargs.get("form", self.form), refs)
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: models.Model | None = None) -> Sequence[str]:
        # Model order, with each reference's id where its foreign key sits; extras last.
        order: dict[str, int] = {}
        for position, field in enumerate(self.model._meta.concrete_fields):
            order[field.name] = order[field.attname] = position
        fields = super().get_fields(request, obj)
        return sorted(fields, key=lambda name: order.get(name, len(order)))
