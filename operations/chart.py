"""The console's chart of rows served per hour: an SVG drawn here, on the server.

Nothing is loaded from another host and no script runs: the page is complete as sent.
The SVG is an accessible image (``role="img"`` with a ``<title>`` and a ``<desc>``), has
labelled axes, and each bar carries its own ``<title>`` (hour and rows), which browsers
show on hover and screen readers read.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from operations.selectors import HourRows

# Geometry in SVG user units; the image scales to its container's width.
BAR = 5
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 48
HEIGHT = 200


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value``, so the top of the axis reads well."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def rows_chart(hours: Sequence[HourRows], title: str) -> SafeString:
    width = LEFT + BAR * len(hours) + RIGHT
    top_value = nice_ceiling(max((hour.rows for hour in hours), default=0) or 1)
    total = sum(hour.rows for hour in hours)

    def y(rows: int) -> str:  # format_html escapes its arguments to text: format numbers first
        return f"{TOP + HEIGHT * (1 - rows / top_value):.1f}"

    def bar_height(rows: int) -> str:
        return f"{HEIGHT * rows / top_value:.1f}"

    bars = format_html_join(
        "",
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{} UTC: {} rows</title></rect>',
        (
            (LEFT + BAR * n, y(hour.rows), BAR - 1, bar_height(hour.rows), f"{hour.hour:%Y-%m-%d %H:00}", hour.rows)
            for n, hour in enumerate(hours)
            if hour.rows
        ),
    )
    # The y axis: 0, half and the top; the x axis: a tick and a date at each midnight.
    y_ticks = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/>'
        '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
        ((LEFT, width - RIGHT, y(v), y(v), LEFT - 6, y(v), f"{v:,}") for v in (0, top_value // 2, top_value)),
    )
    x_ticks = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="axis"/><text x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (x, x, TOP + HEIGHT, TOP + HEIGHT + 4, x, TOP + HEIGHT + 18, f"{hour.hour:%m-%d}")
            for n, hour in enumerate(hours)
            if hour.hour.hour == 0
            for x in (LEFT + BAR * n,)
        ),
    )
    first, last = (hours[0].hour, hours[-1].hour) if hours else (None, None)
    description = (
        f"{total:,} rows in {len(hours)} hours, from {first:%Y-%m-%d %H:00} to {last:%Y-%m-%d %H:00} UTC"
        if hours
        else "no hours"
    )
    return format_html(
        '<svg class="rows-chart" role="img" aria-labelledby="chart-title chart-desc" '
        'viewBox="0 0 {width} {full_height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<title id="chart-title">{title}</title><desc id="chart-desc">{description}</desc>'
        "<style>{style}</style>"
        "{y_ticks}{bars}{x_ticks}"
        '<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" class="axis"/>'
        '<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" class="axis"/>'
        '<text class="label" x="{mid_x}" y="{x_label_y}" text-anchor="middle">hour (UTC)</text>'
        '<text class="label" transform="rotate(-90)" x="{mid_y}" y="14" text-anchor="middle">rows sent</text>'
        "</svg>",
        width=width,
        full_height=TOP + HEIGHT + BOTTOM,
        title=title,
        description=description,
        # Colours from the admin's own variables, so the dark theme applies too.
        style=mark_safe(
            "text{font:11px sans-serif;fill:var(--body-quiet-color,#666)}"
            ".label{font-size:12px;fill:var(--body-fg,#333)}"
            ".bar{fill:var(--primary,#79aec8)}"
            ".grid{stroke:var(--hairline-color,#e8e8e8)}"
            ".axis{stroke:var(--body-quiet-color,#666)}"
        ),
        y_ticks=y_ticks,
        bars=bars,
        x_ticks=x_ticks,
        left=LEFT,
        right=width - RIGHT,
        top=TOP,
        bottom=TOP + HEIGHT,
        mid_x=LEFT + BAR * len(hours) / 2,
        x_label_y=TOP + HEIGHT + 38,
        mid_y=-(TOP + HEIGHT / 2),
    )
