"""The operator's console: is InTarget pulling, what did it get, what did it miss?

Two admin pages (routed and permission-checked by ``ConsoleAdmin`` in ``admin.py``):

- the index: a line per key and feed with its state, the last whole window InTarget
  received, its gaps (the latest few, each with the ``from=…&to=…`` to ask for it
  again) and a small chart of rows served per hour of window time, holes shown; a key
  and feed expected to be pulled (``console_facts.py``: the ``alerts`` app's
  expectations) shows it, up or late, and late ones come first, marked;
- a page per key and feed: the last pull, the last whole window, every gap (with the
  query and the ``export_feed`` command that serve it again), the recent failures and
  the full chart.

Both charts cover the last 24 hours, or ``?range=7d`` / ``30d`` (``RangeForm``; another
value is answered 400 with the default range and a message saying what is allowed).
The reads are selectors (``operations/selectors.py``); this module only arranges them.
Every time is written as the API writes it (``YYYY-MM-DD HH:MM:SS UTC``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from feeds.admin_base import api_time, changelist_url
from feeds.columns import format_timestamp
from lib.durations import duration_text, elapsed_text
from operations import selectors
from operations.chart import FULL, SMALL, ask_again, legend_svg, rows_chart
from operations.console_facts import ExpectedPull, line_facts
from operations.models import Pull

# The chart's ranges, by the value of ?range=; the first is the default.
RANGES = {"24h": (24, "last 24 hours"), "7d": (24 * 7, "last 7 days"), "30d": (24 * 30, "last 30 days")}
DEFAULT_RANGE = "24h"
BAD_RANGE = "range must be one of {choices}, not {value!r}: showing the {default}."
# Gaps an index line lists (the latest); the rest are on its page.
GAPS_SHOWN = 3
FAILURES_SHOWN = 20


class RangeForm(forms.Form):
    range = forms.ChoiceField(choices=[(name, words) for name, (_, words) in RANGES.items()], required=False)


@dataclass(frozen=True)
class ChartRange:
    name: str
    hours: int
    words: str
    error: str | None  # the answer to a bad ?range=, shown above the page


def chart_range(request: HttpRequest) -> ChartRange:
    form = RangeForm(request.GET)
    if form.is_valid():
        name = form.cleaned_data["range"] or DEFAULT_RANGE
        return ChartRange(name, *RANGES[name], error=None)
    error = BAD_RANGE.format(choices=", ".join(RANGES), value=request.GET.get("range"), default=RANGES[DEFAULT_RANGE][1])
    return ChartRange(DEFAULT_RANGE, *RANGES[DEFAULT_RANGE], error=error)


def range_links(request: HttpRequest, chosen: ChartRange) -> list[dict[str, Any]]:
    return [
        {"name": name, "words": words, "url": f"{request.path}?range={name}", "current": name == chosen.name}
        for name, (_, words) in RANGES.items()
    ]


@dataclass(frozen=True)
class State:
    """A line's state, decided in one place (``line_state``): a word, a CSS class, what
    it rests on, and the expectation it is held to, if any."""

    word: str
    css: str
    detail: str
    expected: str = ""

    @property
    def late(self) -> bool:
        return self.css == "late"


def line_state(last: Pull | None, expected: ExpectedPull | None = None, *, now: dt.datetime | None = None) -> State:
    """From the latest pull of a key and feed, and its expected pull when it has one.

    Without an expectation: never pulled; pulling (the latest pull served whole,
    ``Pull.served_whole``); or failing (refused, failed or cut off). "pulling" says how
    the last pull went, not that one is due. With one, the expectation decides, by its
    own rule (``ExpectedPull.late``): **late**, saying for how long no complete pull
    came, or **up**, with the latest pull's detail; both say what is expected."""
    if last is None:
        pulled = State("never pulled", "never", "no pull in the log")
    elif last.served_whole:
        pulled = State("pulling", "pulling", f"last pull {api_time(last.started_at)}, served whole")
    else:
        how = "cut off before the end" if last.status == 200 else f"answered {last.status}"
        pulled = State("failing", "failing", f"last pull {api_time(last.started_at)}, {how}")
    if expected is None:
        return pulled
    held = f"expected every {duration_text(expected.every)} + {duration_text(expected.grace)} grace"
    if not expected.late:
        return State("up", "up", pulled.detail, held)
    gone = elapsed_text(((now or timezone.now()) - expected.since).total_seconds())
    if expected.last_pull_at is not None and expected.since == expected.last_pull_at:
        lateness = f"no complete pull for {gone}"
    else:  # counted from the moment it was expected: no complete pull since
        lateness = f"no complete pull in the {gone} since it was expected"
    if pulled.css == "failing":  # what went wrong since, in the same words
        lateness += f"; {pulled.detail}"
    return State("late", "late", lateness, held)


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
        "from": api_time(pull.window_from),
        "to": api_time(pull.window_to),
        "format": pull.format,
        "status": pull.status,
        "complete": pull.complete,
        "rows": pull.rows,
        "bytes": pull.bytes,
        "duration_ms": pull.duration_ms,
        "client": pull.client,
    }


def gap_line(gap: selectors.Gap) -> dict[str, Any]:
    start, end = format_timestamp(gap.start), format_timestamp(gap.end)
    return {
        "from": f"{start} UTC",
        "to": f"{end} UTC",
        "length": gap.end - gap.start,
        "query": ask_again(gap.start, gap.end),
        "command": f'export_feed {gap.feed} --from "{start}" --to "{end}"',
    }


def expected_lines(expected: ExpectedPull | None) -> list[tuple[str, str]] | None:
    """The key and feed's expected pull, for its page: what is expected and what came."""
    if expected is None:
        return None
    return [
        ("Expected", f"a complete pull at least every {duration_text(expected.every)} ({expected.every} s), "
                     f"{duration_text(expected.grace)} ({expected.grace} s) of grace"),
        ("Last complete pull ended", api_time(expected.last_pull_at) if expected.last_pull_at else "none"),
        ("Greatest to received", api_time(expected.last_to) if expected.last_to else "none"),
        # Late once every + grace have passed since then with no complete pull.
        ("Late since" if expected.late else "Late after",
         api_time(expected.since + dt.timedelta(seconds=expected.every + expected.grace))
         + ("" if expected.late else ", unless a complete pull ends before")),
    ]


def chart_title(key: str, feed: str, chosen: ChartRange) -> str:
    return f"Rows served to {key} from {feed} per hour of window time, {chosen.words} (UTC)"


def index(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    chosen = chart_range(request)
    now = timezone.now()
    expected = line_facts(now=now)
    feeds = selectors.pulled_feeds(also=expected)
    timelines = selectors.timelines(hours=chosen.hours, gaps=(gap for line in feeds for gap in line.gaps), now=now)
    lines = []
    for n, line in enumerate(feeds):
        url = page_url(line.key, line.feed)
        lines.append(
            {
                "key": line.key,
                "feed": line.feed,
                "url": url,
                "state": line_state(line.last, expected.get((line.key, line.feed)), now=now),
                "last": pull_line(line.last) if line.last else None,
                "pulls": line.pulls,
                "failures": line.failures,
                "last_whole": pull_line(line.last_whole) if line.last_whole else None,
                # The latest first: the ones an operator has not asked for again yet.
                "gaps": [gap_line(gap) for gap in reversed(line.gaps[-GAPS_SHOWN:])],
                "more_gaps": max(len(line.gaps) - GAPS_SHOWN, 0),
                "gaps_url": f"{url}#gaps",
                "chart": rows_chart(
                    timelines.of(line.key, line.feed),
                    title=chart_title(line.key, line.feed, chosen),
                    ident=f"chart-{n}",
                    size=SMALL,
                ),
            }
        )
    # Late ones first (the sort keeps key, feed order within each).
    lines.sort(key=lambda line: not line["state"].late)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Operator's console",
        "lines": lines,
        "late": sum(line["state"].late for line in lines),
        "range": chosen,
        "ranges": range_links(request, chosen),
        "legend": legend_svg("legend"),
        "gaps_shown": GAPS_SHOWN,
        "pull_log_url": changelist_url(Pull),
    }
    return TemplateResponse(request, "admin/operations/console/index.html", context, status=400 if chosen.error else 200)


def page(model_admin: admin.ModelAdmin, request: HttpRequest, key: str, feed: str) -> HttpResponse:
    chosen = chart_range(request)
    now = timezone.now()
    expected = line_facts(now=now, key=key, feed=feed).get((key, feed))
    latest = selectors.latest_pulls([(key, feed)]).get((key, feed), selectors.LatestPulls())
    last = latest.last
    gaps = list(selectors.sync_gaps(key=key, feed=feed))
    timeline = selectors.timelines(hours=chosen.hours, gaps=gaps, key=key, feed=feed, now=now).of(key, feed)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"{key} · {feed}",
        "key": key,
        "feed": feed,
        "state": line_state(last, expected, now=now),
        "expected": expected_lines(expected),
        "last": pull_line(last) if last else None,
        "last_window": window_text(latest.last_whole),
        "gaps": [gap_line(gap) for gap in gaps],
        "failures": [pull_line(pull) for pull in selectors.recent_failures(key=key, feed=feed, limit=FAILURES_SHOWN)],
        "failures_shown": FAILURES_SHOWN,
        "range": chosen,
        "ranges": range_links(request, chosen),
        "chart": rows_chart(timeline, title=chart_title(key, feed, chosen), ident="chart", size=FULL),
        "pull_log_url": changelist_url(Pull, key_name=key, feed=feed),
    }
    return TemplateResponse(request, "admin/operations/console/page.html", context, status=400 if chosen.error else 200)
