"""The OpenAPI 3 document of the feeds (``/api/schema``; ``api_docs.py`` serves it and its page).

Built by drf-spectacular from the feed registry, the same descriptions the API serves
from: one path per served feed, its columns in order, each typed by its column kind.
FeedView answers every feed through one route (``/api/<feed>``), so the generator
expands that route into one operation per feed, each described by a ``FeedSchema``.
Custom ``users`` fields are read when the document is asked for, so a field defined a
minute ago is in it. The document holds no row data.

Push (``POST /api/<feed>``, operations.md section 10) is not served yet, so it is not
described either: the document lists what the service answers, nothing more.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from intarget_export import columns as kinds
from intarget_export.columns import TIMESTAMP_FORM
from intarget_export.feeds import Column, Feed, served_feeds
from intarget_export.money import FORMS, PARAM
from intarget_export.views import FeedView

CONTENT_ENCODING = (
    "Present when the request's `Accept-Encoding` accepts `gzip` or `zstd` (zstd when preferred or ranked "
    "equal): the body is compressed and decompresses to exactly the uncompressed answer. Absent otherwise."
)
EXAMPLE_BASE = "https://export.example.com"
EXAMPLE_WINDOW = "from=2020-10-10+07:00:00&to=2020-10-10+08:00:00"
# What the API writes (columns.format_timestamp): no fraction, no offset, a space.
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
# What the window parser takes (columns.parse_timestamp), once the query is decoded:
# years 0001 to 9999, a space, + or T, an optional fraction. (A day the month lacks, such
# as 31 February, still matches and is answered 400.)
WINDOW_PATTERN = (
    r"^(000[1-9]|00[1-9]\d|0[1-9]\d{2}|[1-9]\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"[ T+]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?$"
)

# Money as plain decimal text (columns.format_money): no exponent, no thousands separator.
MONEY_PATTERN = r"^-?\d+(\.\d+)?$"
MONEY_PARAMETER = (
    "`number` (the default): money columns are JSON numbers with the exact digits of the CSV cell; "
    "`string`: JSON strings with those digits, for clients that read every JSON number as a float "
    "(`12345678901.12345678` would become `12345678901.123457`). CSV is the same either way."
)

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error is JSON, whatever format was asked for.",
    "properties": {
        "error": {"type": "string", "description": "what is wrong and what is expected"},
        "param": {"type": "string", "description": "the query parameter at fault, when one is"},
    },
    "required": ["error"],
    "additionalProperties": False,
}
# When each error status is answered: the README's status table, in the document.
ERRORS = {
    400: "`from`/`to` missing, unparsable, or `from` later than `to`; unknown `format` or `money`. "
    "`param` names the culprit.",
    401: "No API key, or a wrong, revoked or expired one. Carries `WWW-Authenticate`.",
    403: "The key's rules refuse the request (another feed, another network, the other direction); "
    "the error names the rule.",
    425: "The window ends in the future; `Retry-After` says how many seconds until it ends.",
    429: "The key's rate (`API_RATE_LIMIT`) or its answers at once (`API_MAX_STREAMS`) are used up; "
    "retry after `Retry-After`.",
    503: "Rows of the window may still be in flight (a writer is still open), or the database is busy or "
    "unreachable; retry after `Retry-After`.",
}
RETRY_AFTER = "Seconds to wait before asking again."


def _curl(header: str) -> str:
    return f'curl {header} "{{base}}/api/users?{EXAMPLE_WINDOW}"'


# The three ways ApiKeyAuthentication (access/authentication.py) takes a key; any one.
SECURITY_SCHEMES = {
    "bearer": (
        {"type": "http", "scheme": "bearer"},
        "The API key as a bearer token.",
        _curl('-H "Authorization: Bearer $KEY"'),
    ),
    "basic": (
        {"type": "http", "scheme": "basic"},
        "HTTP Basic: any user name, the API key as the password.",
        _curl('-u "intarget:$KEY"'),
    ),
    "apiKey": (
        {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
        "The API key in the `X-Api-Key` header.",
        _curl('-H "X-Api-Key: $KEY"'),
    ),
}


def base_url(request: Any) -> str:
    """The service's own address, as the asker reached it, for the curl examples."""
    if request is None or "HTTP_HOST" not in request.META:
        return EXAMPLE_BASE  # generated offline (manage.py spectacular): no host to name
    return request.build_absolute_uri("/").rstrip("/")


class ApiKeySchemes(OpenApiAuthenticationExtension):
    target_class = "access.authentication.ApiKeyAuthentication"
    name = list(SECURITY_SCHEMES)

    def get_security_requirement(self, auto_schema: AutoSchema) -> list[dict[str, list]]:
        # Alternatives (any one of them), not all three at once.
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema: AutoSchema) -> list[dict[str, Any]]:
        base = base_url(getattr(auto_schema.view, "request", None))
        return [
            {**scheme, "description": f"{text}\n\n```sh\n{curl.format(base=base)}\n```"}
            for scheme, text, curl in SECURITY_SCHEMES.values()
        ]


def column_schema(column: Column) -> dict[str, Any]:
    """The JSON value of a column, as its kind writes it (columns.py)."""
    kind = column.kind
    schema: dict[str, Any]
    if isinstance(kind, kinds.Timestamp):
        schema = {"type": "string", "pattern": TIMESTAMP_PATTERN, "example": "2020-10-10 07:15:42"}
    elif isinstance(kind, kinds.Date):
        schema = {"type": "string", "format": "date", "example": "1990-05-17"}
    elif isinstance(kind, kinds.FlagDigit):
        schema = {"type": "integer", "enum": [0, 1]}
    elif isinstance(kind, kinds.FlagWord):
        schema = {"type": "boolean"}
    elif isinstance(kind, kinds.Money):
        # A JSON number with the exact decimal text of the CSV cell (no float on the way),
        # or with money=string that text as a JSON string.
        schema = {"oneOf": [{"type": "number"}, {"type": "string", "pattern": MONEY_PATTERN}], "example": 12.5}
    elif isinstance(kind, kinds.Integer):
        schema = {"type": "integer"}
    else:
        schema = {"type": "string"}
        if isinstance(kind, kinds.Text) and kind.choices:
            schema["enum"] = list(kind.choices)
        elif isinstance(kind, kinds.Text) and kind.max_length:
            schema["maxLength"] = kind.max_length
    schema["description"] = kind.expected + (" (a custom field)" if column.custom_field else "")
    if not column.required:
        schema["nullable"] = True
        if "enum" in schema:
            schema["enum"].append(None)
    return schema


def row_schema(feed: Feed) -> dict[str, Any]:
    columns = feed.all_columns()
    schema: dict[str, Any] = {
        "type": "object",
        "description": f"One row of `{feed.name}`: every column is present, an absent value is `null`.",
        "properties": {column.name: column_schema(column) for column in columns},
        "required": [column.name for column in columns],
        # A column the document does not name is drift, except the custom fields of
        # users, which an operator may define at any time (the header then grows).
        "additionalProperties": feed.extra_columns is not None,
    }
    return schema


def component_name(feed: Feed) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", feed.name)) + "Row"


def operation_id(feed: Feed) -> str:
    """Also the docs page's anchor for the feed (Swagger UI's ``#/feeds/<operationId>``)."""
    return "get_" + feed.name.replace("-", "_")


def window_column(feed: Feed) -> str:
    if feed.reader is not None:
        return "the `created_at` of the session's actions"
    return "`" + next(c.name for c in feed.columns if c.field_name == feed.window_field) + "`"


class FeedSchema(AutoSchema):
    """One feed's ``GET /api/<feed>``, described from its ``Feed``."""

    def __init__(self, feed: Feed):
        super().__init__()
        self.feed = feed

    def get_operation_id(self) -> str:
        return operation_id(self.feed)

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        # An empty value counts as absent (window.py, renderers.py): `format=` is CSV, and
        # on feeds whose window is optional `from=&to=` is every row.
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return operation

    def get_tags(self) -> list[str]:
        return ["feeds"]

    def get_summary(self) -> str:
        return f"Rows of {self.feed.name} whose window timestamp lies in [from, to)"

    def get_description(self) -> str:
        feed = self.feed
        window = (
            "optional: without both, every row" if feed.window_optional else "required"
        )
        return (
            f"Window timestamp: {window_column(feed)}; `from`/`to` {window}. A row is served when "
            f"`from <= t < to`, ordered by (window timestamp, id). CSV by default (header line always "
            f"present, LF after every record); JSON with `format=json` or `Accept: application/json`. "
            f"Times are UTC, `{TIMESTAMP_FORM}`; money is plain decimal text (a JSON number, or a JSON "
            f"string with `money=string`). "
            f"With `Accept-Encoding: gzip` (or `zstd`) the body is compressed, still streamed."
        )

    def get_override_parameters(self) -> list[OpenApiParameter]:  # type: ignore[override]
        required = not self.feed.window_optional
        window = [
            OpenApiParameter(
                name,
                str,
                OpenApiParameter.QUERY,
                required=required,
                pattern=WINDOW_PATTERN,
                description=f"{text} of the window, a UTC timestamp {TIMESTAMP_FORM} (space, `+` or `T` "
                "between date and time)" + ("" if required else "; give both or neither"),
                examples=[OpenApiExample(name, value=value)],
            )
            for name, text, value in (
                ("from", "Start (included)", "2020-10-10 07:00:00"),
                ("to", "End (excluded)", "2020-10-10 08:00:00"),
            )
        ]
        retry = [
            OpenApiParameter("Retry-After", int, OpenApiParameter.HEADER, response=[425, 429, 503],
                             required=True, description=RETRY_AFTER),
            OpenApiParameter("WWW-Authenticate", str, OpenApiParameter.HEADER, response=[401],
                             required=True, description="The challenge: `Bearer realm=\"intarget-export\"`."),
            OpenApiParameter("Content-Encoding", str, OpenApiParameter.HEADER, response=[200], enum=["gzip", "zstd"],
                             description=CONTENT_ENCODING),
        ]
        return [
            *window,
            OpenApiParameter("format", str, OpenApiParameter.QUERY, enum=["csv", "json"],
                             description="`csv` (the default) or `json`; wins over `Accept`."),
            OpenApiParameter(PARAM, str, OpenApiParameter.QUERY, enum=list(FORMS), description=MONEY_PARAMETER),
            *retry,
        ]

    def get_request_serializer(self) -> None:
        return None

    def get_filter_backends(self) -> list:
        return []  # the window parameters are described above; FeedView has no filters

    def get_response_serializers(self) -> dict:
        feed = self.feed
        component = ResolvedComponent(
            name=component_name(feed), type=ResolvedComponent.SCHEMA, object=feed.name, schema=row_schema(feed)
        )
        self.registry.register_on_missing(component)
        error = ResolvedComponent(
            name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, object=ERROR_COMPONENT, schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(error)
        header = ",".join(column.name for column in feed.all_columns())
        csv = {
            "type": "string",
            "description": f"RFC 4180 CSV, UTF-8: the header line `{header}`, then one record per row.",
            "example": header + "\n",
        }
        ok = f"The window's rows (an empty window is the CSV header line, or `[]`). Columns: {header}."
        responses: dict = {
            (200, "text/csv"): OpenApiResponse(csv, description=ok),
            (200, "application/json"): OpenApiResponse({"type": "array", "items": component.ref}, description=ok),
        }
        for status, text in ERRORS.items():
            responses[(status, "application/json")] = OpenApiResponse(error.ref, description=text)
        return responses


class FeedSchemaGenerator(SchemaGenerator):
    """Only the feeds: FeedView's one route becomes one path per served feed."""

    def _get_paths_and_endpoints(self) -> list[tuple[str, str, str, Any]]:
        endpoints = []
        for _path, _regex, method, callback in self.endpoints:
            if getattr(callback, "cls", None) is not FeedView:
                continue
            for feed in served_feeds().values():
                view = self.create_view(callback, method)
                view.kwargs = {"feed_name": feed.name}
                schema = FeedSchema(feed)
                self.schemas_storage.append(schema)  # the view holds only a weak reference
                self._set_schema_to_view(view, schema)
                path = f"/api/{feed.name}"
                endpoints.append((path, "^" + re.escape(path.lstrip("/")) + "$", method, view))
        return endpoints
