"""The OpenAPI 3 document of the feeds (``/api/schema``; ``api/docs.py`` serves it and its page).

Built by drf-spectacular from the feed registry, the same descriptions the API serves
from: one path per served feed, its columns in order, each typed by its column kind.
FeedView answers every feed through one route (``/api/<feed>``), so the generator
expands that route into one operation per feed, each described by a ``FeedSchema``.
Custom ``users`` fields are read when the document is asked for, so a field defined a
minute ago is in it. The document holds no row data.

Push (``POST /api/<feed>``, operations.md section 10) is described apart, by a
``PushSchema`` per pushable feed (``game-actions`` included, ``games`` not): its request
bodies in both formats with the columns ``import_feed`` takes, and its answers.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from api.negotiation import EXPECTED
from api.push_body import push_max_bytes
from api.digests import DigestView
from api.views import FeedView
from feeds import columns as kinds
from feeds.columns import TIMESTAMP_FORM
from feeds.money import FORMS, PARAM
from feeds.registry import Column, Feed, registry, served_feeds

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
# When each error status is answered: docs/api.md's status table, in the document.
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
    507: "An HTTP/1.0 answer, spooled to be sent with its length, is larger than `SPOOL_MAX_BYTES`, or there is "
    "no room left to spool it: ask over HTTP/1.1 (streamed, no spool) or for a smaller window.",
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
    """The JSON value of a column, as its kind writes it (feeds/columns.py)."""
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


def operation_id(feed: Feed, verb: str = "get") -> str:
    """``get_``, ``push_`` or ``digest_`` and the feed's name; the GET's is also the docs
    page's anchor for the feed (Swagger UI's ``#/feeds/<operationId>``)."""
    return f"{verb}_" + feed.name.replace("-", "_")


def window_column(feed: Feed) -> str:
    if feed.reader is not None:
        return "the `created_at` of the session's actions"
    return "`" + next(c.name for c in feed.columns if c.field_name == feed.window_field) + "`"


def window_parameters(feed: Feed) -> list[OpenApiParameter]:
    """``from`` and ``to``, as the feed takes them (feeds/window.py)."""
    required = not feed.window_optional
    return [
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


def schema_component(registry: Any, name: str, schema: dict, *, object: str | None = None) -> ResolvedComponent:
    """The schema ``name`` under components, registered once however many operations
    refer to it (``object`` tells drf-spectacular's registry what it describes: the name
    unless said)."""
    component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=object or name, schema=schema)
    registry.register_on_missing(component)
    return component


def error_component(registry: Any) -> ResolvedComponent:
    return schema_component(registry, ERROR_COMPONENT, ERROR_SCHEMA)


class OneFeedSchema(AutoSchema):
    """A part of the document described from one ``Feed``: its GET, its POST, its digest."""

    tag: str
    verb: str  # the operation id's first word (operation_id)

    def __init__(self, feed: Feed):
        super().__init__()
        self.feed = feed

    def get_operation_id(self) -> str:
        return operation_id(self.feed, self.verb)

    def get_tags(self) -> list[str]:
        return [self.tag]

    def get_request_serializer(self) -> None:
        return None  # bodies are described from the feed, not from a serializer

    def get_filter_backends(self) -> list:
        return []  # the window parameters are described from the feed; the views have no filters


class FeedSchema(OneFeedSchema):
    """One feed's ``GET /api/<feed>``, described from its ``Feed``."""

    tag = "feeds"
    verb = "get"

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        # An empty value counts as absent (feeds/window.py, api/negotiation.py): `format=` is CSV, and
        # on feeds whose window is optional `from=&to=` is every row.
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return operation

    def get_summary(self) -> str:
        return f"Rows of {self.feed.name} whose window timestamp lies in [from, to)"

    def get_description(self) -> str:
        feed = self.feed
        window = (
            "optional: without both, every row" if feed.window_optional else "required"
        )
        order = "(window timestamp, id)"
        about = ""
        if feed.feed_field is not None:
            order = f"(window timestamp, {feed.feed_field}, id)"
            about = (
                f"Each row is about a row of another feed, named by `{feed.feed_field}`: every pull key may ask, "
                f"and a key limited to some feeds gets the rows about those only. "
            )
        return (
            f"Window timestamp: {window_column(feed)}; `from`/`to` {window}. A row is served when "
            f"`from <= t < to`, ordered by {order}. {about}CSV by default (header line always "
            f"present, LF after every record); JSON with `format=json` or `Accept: application/json`. "
            f"Times are UTC, `{TIMESTAMP_FORM}`; money is plain decimal text (a JSON number, or a JSON "
            f"string with `money=string`). "
            f"With `Accept-Encoding: gzip` (or `zstd`) the body is compressed, still streamed."
        )

    def get_override_parameters(self) -> list[OpenApiParameter]:  # type: ignore[override]
        window = window_parameters(self.feed)
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

    def get_response_serializers(self) -> dict:
        feed = self.feed
        component = schema_component(self.registry, component_name(feed), row_schema(feed), object=feed.name)
        error = error_component(self.registry)
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


# --- push (POST /api/<feed>) ------------------------------------------------------------

PUSH_ERROR_COMPONENT = "PushError"
PUSH_FAULT = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "what is wrong and what is expected"},
        "line": {
            "type": "integer", "nullable": True,
            "description": "the CSV line, or for JSON the 1-based position of the object in the array",
        },
        "column": {"type": "string", "nullable": True, "description": "the column at fault, when one is"},
    },
    "required": ["error", "line", "column"],
}
PUSH_ERROR_SCHEMA = {
    "type": "object",
    "description": "A refused push: the first fault, and every fault found (up to 20); nothing was written. "
    "`line`, `column` and `faults` are there when the body itself was at fault (not when it could not be "
    "read to its end, or its Content-Length was malformed).",
    "properties": {
        **PUSH_FAULT["properties"],
        "faults": {"type": "array", "items": {**PUSH_FAULT, "additionalProperties": False}},
        "more_faults": {"type": "boolean", "description": "present when the reading stopped at 20 faults"},
    },
    "required": ["error"],
    "additionalProperties": False,
}
PUSH_ERRORS = {
    401: ERRORS[401],
    403: "The key's rules refuse the push: a pull key (pushing needs `create_api_key --push`), another feed, "
    "another network; the error names the rule.",
    405: "The feed cannot be pushed (`games`, which is built from `game-actions`). Carries `Allow`.",
    413: "The body is larger than `PUSH_MAX_BYTES` ({limit} bytes): refused before reading when its "
    "`Content-Length` says so, or once a chunked body passes it. Nothing is written.",
    415: "The body is neither `text/csv` nor `application/json`, or its charset is not UTF-8.",
    429: ERRORS[429],
    503: "The database is busy or unreachable; retry after `Retry-After`. Nothing is written.",
}


def push_columns(feed: Feed) -> list[Column]:
    """The columns a push takes: import_feed's. The window timestamp is the service's
    stamp (a pushed one is ignored), so it is never required."""
    return list(feed.all_columns())


def push_row_schema(feed: Feed) -> dict[str, Any]:
    columns = push_columns(feed)
    stamp = feed.window_field
    return {
        "type": "object",
        "description": f"One row to upsert into `{feed.name}` by id. A column left out leaves a stored row's "
        "value as it is; `null` clears it. The window timestamp is stamped by the service.",
        "properties": {column.name: column_schema(column) for column in columns},
        "required": [c.name for c in columns if c.required and c.field_name != stamp],
        # The custom fields of users may be defined at any time (and then pushed).
        "additionalProperties": feed.extra_columns is not None,
    }


class PushSchema(OneFeedSchema):
    """One feed's ``POST /api/<feed>``, described from its ``Feed``."""

    tag = "push"
    verb = "push"

    def get_summary(self) -> str:
        return f"Push rows into {self.feed.name}: upserted by id, all or nothing"

    def get_description(self) -> str:
        return (
            "Needs a push key (`manage.py create_api_key NAME --push`); a pull key is refused with 403, and a "
            "push key may not pull. The rows are upserted by id in one transaction, exactly as `import_feed` "
            "without `--preserve-timestamps`: the service stamps the window timestamps. A bad body is refused "
            f"whole (400, naming the line and column), and nothing is written. {EXPECTED[0].upper()}{EXPECTED[1:]}; at most "
            f"`PUSH_MAX_BYTES` ({push_max_bytes()} bytes)."
        )

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        # DRF's ?format= picks a renderer; a push always answers JSON.
        operation["parameters"] = [p for p in operation.get("parameters", []) if p["name"] != "format"]
        if not operation["parameters"]:
            del operation["parameters"]
        component = schema_component(
            self.registry, component_name(self.feed).removesuffix("Row") + "PushRow", push_row_schema(self.feed),
            object=f"push:{self.feed.name}",
        )
        header = ",".join(column.name for column in push_columns(self.feed))
        operation["requestBody"] = {
            "required": True,
            "content": {
                "text/csv": {"schema": {
                    "type": "string",
                    "description": f"RFC 4180 CSV, UTF-8: a header line naming columns of `{header}` (the required "
                    "ones at least), then one record per row.",
                    "example": header + "\n",
                }},
                "application/json": {"schema": {"type": "array", "items": component.ref}},
            },
        }
        return operation

    def get_override_parameters(self) -> list[OpenApiParameter]:  # type: ignore[override]
        return [
            OpenApiParameter("Retry-After", int, OpenApiParameter.HEADER, response=[429, 503],
                             required=True, description=RETRY_AFTER),
            OpenApiParameter("WWW-Authenticate", str, OpenApiParameter.HEADER, response=[401],
                             required=True, description="The challenge: `Bearer realm=\"intarget-export\"`."),
            OpenApiParameter("Allow", str, OpenApiParameter.HEADER, response=[405],
                             required=True, description="The methods the feed answers."),
        ]

    def get_response_serializers(self) -> dict:
        error = error_component(self.registry)
        push_error = schema_component(self.registry, PUSH_ERROR_COMPONENT, PUSH_ERROR_SCHEMA)
        ok = {
            "type": "object",
            "properties": {"rows": {"type": "integer", "minimum": 0, "description": "the records read and upserted"}},
            "required": ["rows"],
            "additionalProperties": False,
        }
        bad = (
            "The body was refused whole and nothing was written: a bad cell, a missing or unknown column, "
            "malformed CSV or JSON, or an empty body. `line` is the CSV line, or for JSON the object's "
            "1-based position in the array."
        )
        responses: dict = {
            (200, "application/json"): OpenApiResponse(ok, description="Every row was upserted."),
            # A 400 for the body names where; one for the request itself (a malformed
            # Content-Length, a body cut short) has the plain error shape, which PushError extends.
            (400, "application/json"): OpenApiResponse(push_error.ref, description=bad),
        }
        limit = push_max_bytes()
        for status, text in PUSH_ERRORS.items():
            responses[(status, "application/json")] = OpenApiResponse(error.ref, description=text.format(limit=limit))
        return responses


# --- digests (GET /api/<feed>/digest) ----------------------------------------------------

DIGEST_COMPONENT, DIGEST_PART_COMPONENT = "Digest", "DigestPart"
CHECKSUM = {
    "type": "string", "pattern": "^[0-9a-f]{16}$", "example": "9f3c2a1b0d4e5f67",
    "description": "the sum, modulo 2^64, of the first 8 bytes (unsigned, big-endian) of the SHA-256 of each "
    "row's text: its digest fields as served in CSV, joined by a tab; 16 lowercase hex digits, "
    "`0000000000000000` for no row",
}


def _bound(text: str) -> dict[str, Any]:
    return {"type": "string", "pattern": TIMESTAMP_PATTERN, "nullable": True, "description": text}


DIGEST_PART_SCHEMA = {
    "type": "object",
    "description": "One part of the window: its own digest.",
    "properties": {
        "from": {**_bound("the part's start (included)"), "nullable": False},
        "to": {**_bound("the part's end (excluded): `from` plus `step`, or the window's end for the last"),
               "nullable": False},
        "rows": {"type": "integer", "minimum": 0},
        "checksum": CHECKSUM,
    },
    "required": ["from", "to", "rows", "checksum"],
    "additionalProperties": False,
}
DIGEST_ERRORS = {
    400: "`from`/`to` missing, unparsable, or `from` later than `to`; `step` not a duration (`30s`, `5m`, "
    "`1h`, `1d`), given without a window, or cutting the window into more than 10,000 parts. `param` names "
    "the culprit.",
    **{status: ERRORS[status] for status in (401, 403, 425, 429, 503)},
}
STEP_DESCRIPTION = (
    "Cut the window into parts of this length from `from` (the last may be shorter), each with its own "
    "digest, empty ones included: a whole number followed by `s`, `m`, `h` or `d`. At most 10,000 parts."
)


def digest_schema(parts_component: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "The window's digest: the rows whose window timestamp, as served, lies in `[from, to)`, "
        "counted, and their checksum. `parts` only with `step`.",
        "properties": {
            "feed": {"type": "string"},
            "from": _bound("the window's start, as asked; `null` for a feed asked without a window"),
            "to": _bound("the window's end, as asked; `null` for a feed asked without a window"),
            "rows": {"type": "integer", "minimum": 0},
            "checksum": CHECKSUM,
            "parts": {"type": "array", "items": parts_component.ref, "maxItems": 10_000},
        },
        "required": ["feed", "from", "to", "rows", "checksum"],
        "additionalProperties": False,
    }


class DigestSchema(OneFeedSchema):
    """One feed's ``GET /api/<feed>/digest`` (api/digests.py), described from its ``Feed``."""

    tag = "digests"
    verb = "digest"

    def get_summary(self) -> str:
        return f"Row count and checksum of {self.feed.name} in [from, to), to compare with what you hold"

    def get_description(self) -> str:
        fields = ", ".join(f"`{column.name}`" for column in self.feed.digest_columns())
        return (
            f"A row's text is {fields}, as served in CSV, joined by one tab. The rows are those a consumer "
            f"holds for the window if it received every window so far and kept the latest version of each row: "
            f"their window timestamp, `{self.feed.digest_window().name}` as served, lies in `[from, to)` now. "
            "Computed by the database; the same keys, limits and finality as the feed. Always JSON."
        )

    def get_override_parameters(self) -> list[OpenApiParameter]:  # type: ignore[override]
        return [
            *window_parameters(self.feed),
            OpenApiParameter("step", str, OpenApiParameter.QUERY, pattern=r"^[0-9]+[smhd]$",
                             description=STEP_DESCRIPTION, examples=[OpenApiExample("step", value="1h")]),
            OpenApiParameter("Retry-After", int, OpenApiParameter.HEADER, response=[425, 429, 503],
                             required=True, description=RETRY_AFTER),
            OpenApiParameter("WWW-Authenticate", str, OpenApiParameter.HEADER, response=[401],
                             required=True, description="The challenge: `Bearer realm=\"intarget-export\"`."),
        ]

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        # DRF's ?format= picks among renderers; a digest has one.
        operation["parameters"] = [p for p in operation.get("parameters", []) if p["name"] != "format"]
        for parameter in operation["parameters"]:
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True  # an empty step is no step, as `from=&to=` is no window
        return operation

    def get_response_serializers(self) -> dict:
        error = error_component(self.registry)
        part = schema_component(self.registry, DIGEST_PART_COMPONENT, DIGEST_PART_SCHEMA)
        digest = schema_component(self.registry, DIGEST_COMPONENT, digest_schema(part))
        responses: dict = {(200, "application/json"): OpenApiResponse(digest.ref, description="The window's digest.")}
        for status, text in DIGEST_ERRORS.items():
            responses[(status, "application/json")] = OpenApiResponse(error.ref, description=text)
        return responses


class FeedSchemaGenerator(SchemaGenerator):
    """Only the feeds: FeedView's one route becomes one path per served feed (GET) and
    one per pushable feed (POST); DigestView's, one digest path per served feed."""

    def _get_paths_and_endpoints(self) -> list[tuple[str, str, str, Any]]:
        endpoints = []
        for _path, _regex, method, callback in self.endpoints:
            view_class = getattr(callback, "cls", None)
            if view_class is FeedView:
                operations = [(f"/api/{feed.name}", feed, schema) for feed, schema in self._operations(method)]
            elif view_class is DigestView and method == "GET":
                operations = [(f"/api/{feed.name}/digest", feed, DigestSchema(feed)) for feed in served_feeds().values()]
            else:
                continue
            for path, feed, schema in operations:
                view = self.create_view(callback, method)
                view.kwargs = {"feed_name": feed.name}
                self.schemas_storage.append(schema)  # the view holds only a weak reference
                self._set_schema_to_view(view, schema)
                endpoints.append((path, "^" + re.escape(path.lstrip("/")) + "$", method, view))
        # One path per feed, its operations together, in the registry's order; its digest after it.
        order = {f"/api/{name}": n for n, name in enumerate(registry())}
        return sorted(endpoints, key=lambda endpoint: (order[endpoint[0].removesuffix("/digest")], endpoint[0]))

    @staticmethod
    def _operations(method: str) -> list[tuple[Feed, AutoSchema]]:
        if method == "POST":
            return [(feed, PushSchema(feed)) for feed in registry().values() if feed.importable]
        return [(feed, FeedSchema(feed)) for feed in served_feeds().values()]
