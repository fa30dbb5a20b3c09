"""The operator's console: is InTarget pulling, what did it get, what did it miss?

Two admin pages (routed and permission-checked by ``ConsoleAdmin`` in ``admin.py``):

- the index: every key and feed, with its last pull, failures and gaps;
- a page per key and feed: the last pull (window, status, time), the last whole window
  InTarget received, the gaps (``sync_gaps``), the recent failures, and a chart of rows
  sent per hour over the last ``CHART_DAYS`` days.

The reads are selectors (``operations/selectors.py``); this module only arranges them.
Every time is written as the API writes it (``YYYY-MM-DD HH:MM:SS UTC``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from feeds.admin_base import api_time, changelist_url
from operations import selectors
from operations.chart import rows_chart
from operations.models import Pull

CHART_DAYS = 7
FAILURES_SHOWN = 20


def page_url(key: str, feed: str) -> str:
    # Key names are free text: quoted as the admin quotes primary keys ("/" is "_2F").
    return reverse("admin:operations_console_page", args=[quote(key), feed])


def window_text(pull: Pull | None) -> str:
    if pull is None:
        return "-"
    if pull.window_from is None and pull.window_to is None:
        if pull.from_sent or pull.to_sent:  # a window refused: what the request carried
            return f"{pull.from_sent or '…'} to {pull.to_sent or '…'} (as sent)"
        return "no window (everything)"
    return f"{api_time(pull.window_from) if pull.window_from else '…'} to {api_time(pull.window_to) if pull.window_to else '…'}"


def pull_line(pull: Pull) -> dict[str, Any]:
    return {
        "started_at": api_time(pull.started_at),
        "window": window_text(pull),
        "format": pull.format,
        "status": pull.status,
        "complete": pull.complete,
        "rows": pull.rows,
        "bytes": pull.bytes,
        "duration_ms": pull.duration_ms,
        "client": pull.client,
    }


def index(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    lines = [
        {
            "key": line.key,
            "feed": line.feed,
            "url": page_url(line.key, line.feed),
            "last": pull_line(line.last) if line.last else None,
            "pulls": line.pulls,
            "failures": line.failures,
            "gaps": line.gaps,
        }
        for line in selectors.pulled_feeds()
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Operator's console",
        "lines": lines,
        "pull_log_url": changelist_url(Pull),
    }
    return TemplateResponse(request, "admin/operations/console/index.html", context)


def page(model_admin: admin.ModelAdmin, request: HttpRequest, key: str, feed: str) -> HttpResponse:
    last = selectors.pulls_listed(key=key, feed=feed).last()
    hours = selectors.rows_per_hour(key=key, feed=feed, hours=24 * CHART_DAYS)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"{key} · {feed}",
        "key": key,
        "feed": feed,
        "last": pull_line(last) if last else None,
        "last_window": window_text(selectors.last_window(key=key, feed=feed)),
        "gaps": [
            {"from": api_time(gap.start), "to": api_time(gap.end), "length": gap.end - gap.start}
            for gap in selectors.sync_gaps(key=key, feed=feed)
        ],
        "failures": [pull_line(pull) for pull in selectors.recent_failures(key=key, feed=feed, limit=FAILURES_SHOWN)],
        "failures_shown": FAILURES_SHOWN,
        "chart": rows_chart(hours, f"Rows sent to {key} from {feed} per hour, last {CHART_DAYS} days (UTC)"),
        "chart_days": CHART_DAYS,
        "pull_log_url": changelist_url(Pull, key_name=key, feed=feed),
    }
    return TemplateResponse(request, "admin/operations/console/page.html", context)
