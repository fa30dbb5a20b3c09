"""The console's chart of rows served per hour of window time: an SVG drawn here, on the
server, from a ``Timeline`` (``operations/selectors.py``).

Nothing is loaded from another host and no script runs: the page is complete as sent.
The SVG is an accessible image (``role="img"`` with a ``<title>`` and a ``<desc>`` that
says what it shows, in words), and each bar and band carries its own ``<title>``, which
browsers show on hover and screen readers read.

What it draws, over the hours of window time (the time rows changed, which the pulled
windows cover; not the time they were pulled):

- a bar per hour for the rows served for it by complete pulls (a window spanning several
  hours is spread over them by time: ``served_in_range`` says how);
- under the axis, a strip where complete windows covered the time: an hour covered that
  had no rows shows the strip and no bar, which is not a hole;
- a red hatched band over each gap (``sync_gaps``: window time between pulls that no
  complete pull covered; its title gives the ``from=…&to=…`` to ask again);
- a grey hatched band where nothing was pulled yet: before the first window, after the
  latest ``to``;
- the current hour, not over, tinted, with its bar pale (its rows may still grow).

Two sizes: the full chart (axes, labels, legend) on a key and feed's page, and the small
one on the index's lines, whose legend is drawn once above the table (``legend``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from feeds.columns import format_timestamp
from operations.selectors import HOUR, Timeline


@dataclass(frozen=True)
class Size:
    """Geometry in SVG user units; the image scales to its container's width."""

    plot_width: int  # the hours' axis, whatever their number
    plot_height: int
    left: int
    right: int
    top: int
    bottom: int
    labelled: bool  # axes with labels and a legend (the full chart)
    # A band is drawn at least this wide, so that a minute's gap still shows on 30 days.
    min_band: float


FULL = Size(plot_width=720, plot_height=180, left=64, right=16, top=10, bottom=78, labelled=True, min_band=3)
# The small chart's right margin holds its peak, "500k/h" at the widest (peak_text).
SMALL = Size(plot_width=240, plot_height=36, left=1, right=42, top=4, bottom=7, labelled=False, min_band=2)
STRIP = 4  # the height of the covered strip, under the axis

# Scoped to the chart: an inline SVG's <style> applies to the whole HTML page. Colours from
# the admin's own variables, so that the dark theme applies too.
STYLE = mark_safe(
    "svg.rows-chart text{font:11px sans-serif;fill:var(--body-quiet-color,#666)}"
    "svg.rows-chart .label{font-size:12px;fill:var(--body-fg,#333)}"
    "svg.rows-chart .bar{fill:var(--primary,#79aec8)}"
    "svg.rows-chart .bar.current{fill-opacity:.45;stroke:var(--primary,#79aec8);stroke-dasharray:2 1}"
    "svg.rows-chart .grid{stroke:var(--hairline-color,#e8e8e8)}"
    "svg.rows-chart .axis{stroke:var(--body-quiet-color,#666)}"
    "svg.rows-chart .covered{fill:#2e7d32}"
    "svg.rows-chart .gap-edge{stroke:#ba2121}"
    "svg.rows-chart .hatch-gap{stroke:#ba2121;stroke-width:2}"
    "svg.rows-chart .hatch-unpulled{stroke:#b8b8b8;stroke-width:1}"
    "svg.rows-chart .gap-fill{fill:#ba2121;fill-opacity:.12}"
    "svg.rows-chart .now-band{fill:#f5c400;fill-opacity:.18}"
    "svg.rows-chart .now-line{stroke:#b08d00;stroke-dasharray:3 2}"
)


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value``, so the top of the axis reads well."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def rows_text(rows: float) -> str:
    """Whole rows as digits; a share of a window spanning hours with one decimal."""
    return f"{rows:,.0f}" if abs(rows - round(rows)) < 0.05 else f"{rows:,.1f}"


def peak_text(top: float) -> str:
    """The small chart's scale top, short (a scale top is 1, 2 or 5 times a power of
    ten): ``500``, ``2k``, ``50k``, ``1M``; the exact rows are in each bar's title."""
    for size, unit in ((1_000_000, "M"), (1_000, "k")):
        if top >= size:
            return f"{top / size:g}{unit}"
    return rows_text(top)


def hour_text(hour: dt.datetime) -> str:
    return f"{hour:%Y-%m-%d %H:00}–{hour + HOUR:%H:00} UTC"


def ask_again(start: dt.datetime, end: dt.datetime) -> str:
    """The query that asks for ``[start, end)`` again, ready to paste after ``?``, written
    as the docs write windows (``from=2020-10-10+07:00:00``): a space is ``+``, and a
    colon needs no escape in a query."""
    return f"from={format_timestamp(start).replace(' ', '+')}&to={format_timestamp(end).replace(' ', '+')}"


def stretch_text(start: dt.datetime, end: dt.datetime) -> str:
    return f"{format_timestamp(start)} to {format_timestamp(end)} UTC"


def covered(timeline: Timeline) -> list[tuple[dt.datetime, dt.datetime]]:
    """``[start, now)`` less the gaps and the unpulled time: what complete windows covered."""
    holes = sorted([(gap.start, gap.end) for gap in timeline.gaps] + [(s.start, s.end) for s in timeline.unpulled])
    stretches, at = [], timeline.start
    for start, end in holes:
        if start > at:
            stretches.append((at, min(start, timeline.now)))
        at = max(at, end)
    if at < timeline.now:
        stretches.append((at, timeline.now))
    return [(start, end) for start, end in stretches if start < end]


def tick_step(hours: int) -> int:
    """Hours between two labels of the time axis: at most eight labels."""
    return next(step for step in (1, 2, 3, 6, 12, 24, 48, 72, 120, 168, 336, 720) if hours / step <= 8)


def description(timeline: Timeline, total: float) -> str:
    parts = [
        f"{rows_text(total)} rows served for the window time from {timeline.start:%Y-%m-%d %H:00} to "
        f"{timeline.end:%Y-%m-%d %H:00} UTC, per hour of window time (the time the rows changed, which the "
        "pulled windows cover, not the time they were pulled), by complete 200 pulls. A window spanning "
        "several hours is spread over them evenly by time: each hour gets the share of its rows that the "
        "hour holds of the window."
    ]
    if timeline.gaps:
        listed = "; ".join(stretch_text(gap.start, gap.end) for gap in timeline.gaps)
        parts.append(f"{len(timeline.gaps)} gap(s), window time no complete pull covered (red): {listed}.")
    else:
        parts.append("No gap.")
    if timeline.unpulled:
        listed = "; ".join(stretch_text(span.start, span.end) for span in timeline.unpulled)
        parts.append(f"Not pulled (grey: before the first window or after the latest one): {listed}.")
    parts.append(f"The hour from {timeline.current_hour:%Y-%m-%d %H:00} UTC is not over (tinted).")
    return " ".join(parts)


def rows_chart(timeline: Timeline, *, title: str, ident: str, size: Size = FULL) -> SafeString:
    """The chart of ``timeline``; ``ident`` makes its element ids unique on the page."""
    count = len(timeline.hours)
    span = (timeline.end - timeline.start).total_seconds()
    bar = size.plot_width / count
    width = size.left + size.plot_width + size.right
    bottom = size.top + size.plot_height
    top_value = nice_ceiling(max((hour.rows for hour in timeline.hours), default=0) or 1)
    total = sum(hour.rows for hour in timeline.hours)

    def x(at: dt.datetime) -> float:
        return size.left + size.plot_width * (at - timeline.start).total_seconds() / span

    def y(rows: float) -> str:  # format_html escapes its arguments to text: format numbers first
        return f"{size.top + size.plot_height * (1 - rows / top_value):.1f}"

    def band(start: dt.datetime, end: dt.datetime) -> tuple[str, str]:
        """x and width of ``[start, end)``, at least ``min_band`` wide, within the plot."""
        left, right = x(max(start, timeline.start)), x(min(end, timeline.end))
        if right - left < size.min_band:
            middle = (left + right) / 2
            left = min(max(middle - size.min_band / 2, size.left), size.left + size.plot_width - size.min_band)
            right = left + size.min_band
        return f"{left:.1f}", f"{right - left:.1f}"

    current = timeline.current_hour
    now_band = format_html(
        '<rect class="now-band" x="{}" y="{}" width="{}" height="{}"><title>{}: this hour is not over; '
        "its windows are not all pulled yet</title></rect>"
        '<line class="now-line" x1="{}" x2="{}" y1="{}" y2="{}"/>',
        f"{x(current):.1f}", size.top, f"{bar:.1f}", size.plot_height, hour_text(current),
        f"{x(timeline.now):.1f}", f"{x(timeline.now):.1f}", size.top, bottom,
    )
    gaps = format_html_join(
        "",
        '<g class="gap"><rect class="gap-fill" x="{0}" y="{2}" width="{1}" height="{3}"/>'
        '<rect x="{0}" y="{2}" width="{1}" height="{3}" fill="url(#{4}-hatch-gap)">'
        "<title>Gap: {5}: no complete pull covered it, rows changed then were never served. "
        "Ask again: {6}</title></rect></g>",
        (
            (*band(gap.start, gap.end), size.top, size.plot_height, ident, stretch_text(gap.start, gap.end),
             ask_again(gap.start, gap.end))
            for gap in timeline.gaps
        ),
    )
    unpulled = format_html_join(
        "",
        '<rect class="unpulled" x="{0}" y="{2}" width="{1}" height="{3}" fill="url(#{4}-hatch-unpulled)">'
        "<title>Not pulled: {5}{6}</title></rect>",
        (
            (*band(stretch.start, stretch.end), size.top, size.plot_height, ident,
             stretch_text(stretch.start, stretch.end),
             " (after the latest complete window)" if stretch.start > timeline.start
             else " (before the first complete window)" if stretch.end < timeline.now
             else " (no complete window covers it)")
            for stretch in timeline.unpulled
        ),
    )
    strip = format_html_join(
        "",
        '<rect class="covered" x="{}" y="{}" width="{}" height="{}"><title>Covered by complete windows: {}</title></rect>',
        (
            (f"{x(start):.1f}", bottom + 1, f"{max(x(end) - x(start), 0.5):.1f}", STRIP, stretch_text(start, end))
            for start, end in covered(timeline)
        ),
    )
    gap_width = bar * 0.15 if bar >= 3 else 0
    bars = format_html_join(
        "",
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}: {} rows served{}</title></rect>',
        (
            (
                "bar current" if hour.hour == current else "bar",
                f"{size.left + bar * n + gap_width / 2:.2f}",
                y(hour.rows),
                f"{bar - gap_width:.2f}",
                f"{size.plot_height * hour.rows / top_value:.1f}",
                hour_text(hour.hour),
                rows_text(hour.rows),
                " so far (this hour is not over)" if hour.hour == current else "",
            )
            for n, hour in enumerate(timeline.hours)
            if hour.rows
        ),
    )
    axes = format_html(
        '<line x1="{0}" x2="{0}" y1="{1}" y2="{2}" class="axis"/><line x1="{0}" x2="{3}" y1="{2}" y2="{2}" class="axis"/>',
        size.left, size.top, bottom, size.left + size.plot_width,
    )
    labels = mark_safe("")
    if size.labelled:
        labels = labelled_axes(timeline, size, top_value, y, x) + legend(ident, size.left, bottom + 58)
    else:  # the small chart: only the top of its scale, beside the plot
        labels = format_html('<text x="{}" y="{}" class="peak">{}</text>', size.left + size.plot_width + 3,
                             size.top + 8, f"{peak_text(top_value)}/h" if total else "0")
    return format_html(
        '<svg class="rows-chart {size_class}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<title id="{ident}-title">{title}</title><desc id="{ident}-desc">{description}</desc>'
        "<style>{style}</style>{defs}"
        '{now_band}{unpulled}{gaps}{labels}<g class="bars">{bars}</g>{strip}{axes}'
        "</svg>",
        size_class="full" if size.labelled else "small",
        ident=ident,
        width=width,
        height=bottom + size.bottom,
        title=title,
        description=description(timeline, total),
        style=STYLE,
        defs=patterns(ident),
        now_band=now_band,
        unpulled=unpulled,
        gaps=gaps,
        labels=labels,
        bars=bars,
        strip=strip,
        axes=axes,
    )


def patterns(ident: str) -> SafeString:
    return format_html(
        '<defs><pattern id="{0}-hatch-gap" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line class="hatch-gap" x1="3" y1="0" x2="3" y2="6"/></pattern>'
        '<pattern id="{0}-hatch-unpulled" width="5" height="5" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(-45)"><line class="hatch-unpulled" x1="2.5" y1="0" x2="2.5" y2="5"/></pattern></defs>',
        ident,
    )


def labelled_axes(
    timeline: Timeline, size: Size, top_value: int, y: Callable[[float], str], x: Callable[[dt.datetime], float]
) -> SafeString:
    """The full chart's scales: rows at 0, half and the top; a label every few hours."""
    right = size.left + size.plot_width
    bottom = size.top + size.plot_height
    y_ticks = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
        '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
        ((size.left, right, y(v), y(v), size.left - 6, y(v), f"{int(v):,}") for v in (0, top_value / 2, top_value)
         if v == int(v)),
    )
    step = tick_step(len(timeline.hours))
    ticks = [hour.hour for hour in timeline.hours if (hour.hour.timestamp() // 3600) % step == 0]
    x_ticks = format_html_join(
        "",
        '<line x1="{0}" x2="{0}" y1="{1}" y2="{2}" class="axis"/><text x="{0}" y="{3}" text-anchor="middle">{4}</text>'
        '<text x="{0}" y="{5}" text-anchor="middle">{6}</text>',
        (
            (f"{x(hour):.1f}", bottom, bottom + STRIP + 4, bottom + STRIP + 16,
             f"{hour:%H:00}" if step < 24 else f"{hour:%m-%d}",
             bottom + STRIP + 28, f"{hour:%m-%d}" if step < 24 and (hour.hour == 0 or hour == ticks[0]) else "")
            for hour in ticks
        ),
    )
    return format_html(
        "{}{}"
        '<text class="label" x="{}" y="{}" text-anchor="middle">window time (UTC), by hour</text>'
        '<text class="label" transform="rotate(-90)" x="{}" y="14" text-anchor="middle">rows served</text>',
        y_ticks, x_ticks, size.left + size.plot_width / 2, bottom + STRIP + 44, -(size.top + size.plot_height / 2),
    )


LEGEND = (
    ("bar", "rows served"),
    ("covered", "covered by complete windows"),
    ("gap", "gap: never served"),
    ("unpulled", "not pulled (yet)"),
    ("now", "this hour, not over"),
)


def legend(ident: str, left: float, top: float) -> SafeString:
    """The swatches and their words, in a row."""
    swatches = {
        "bar": '<rect class="bar" x="{x}" y="{y}" width="12" height="10"/>',
        "covered": '<rect class="covered" x="{x}" y="{cy}" width="12" height="4"/>',
        "gap": '<rect class="gap-fill" x="{x}" y="{y}" width="12" height="10"/>'
        '<rect x="{x}" y="{y}" width="12" height="10" fill="url(#{ident}-hatch-gap)"/>',
        "unpulled": '<rect x="{x}" y="{y}" width="12" height="10" fill="url(#{ident}-hatch-unpulled)" '
        'stroke="#999" stroke-width=".5"/>',
        "now": '<rect class="now-band" x="{x}" y="{y}" width="12" height="10"/>',
    }
    parts, at = [], left
    for kind, words in LEGEND:
        swatch = swatches[kind].format(x=f"{at:.0f}", y=f"{top:.0f}", cy=f"{top + 3:.0f}", ident=ident)
        parts.append(
            format_html('<g class="legend-{}">{}<text x="{}" y="{}">{}</text></g>',
                        kind, mark_safe(swatch), f"{at + 16:.0f}", f"{top + 9:.0f}", words)
        )
        at += 16 + 6.2 * len(words) + 18
    return mark_safe("".join(parts))


def legend_svg(ident: str) -> SafeString:
    """The legend alone, for the index, whose small charts have none."""
    return format_html(
        '<svg class="rows-chart legend" role="img" aria-label="Legend of the charts: {}" viewBox="0 0 {} 16" '
        'width="{}" height="16" xmlns="http://www.w3.org/2000/svg"><style>{}</style>{}{}</svg>',
        "; ".join(f"{words}" for _, words in LEGEND), 700, 700, STYLE, patterns(ident), legend(ident, 1, 3),
    )
