"""Reading the operator's console's first page (operations/console.py) as a test does:
its table's cells as text, the HTML of one line."""

from __future__ import annotations

import re

from operations.console import page_url

# A line of the table, marked or not (a late one has a class).
LINE = r"<tr(?:\s[^>]*)?>(.*?)</tr>"


def index_cells(body: str) -> list[list[str]]:
    """The index table's text, a list of cells per line (each cell's text, spaces squeezed,
    the charts left out)."""
    table = re.search(r'<table id="console-index">.*?</table>', body, re.S).group(0)
    table = re.sub(r"<svg.*?</svg>", "", table, flags=re.S)
    lines = re.findall(LINE, table, re.S)[1:]
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", line, re.S)]
        for line in lines
    ]


def index_line(body: str, key: str, feed: str) -> str:
    """The HTML of the index's line of ``key`` and ``feed``, its ``<tr>`` included."""
    for line in re.findall(r"(<tr(?:\s[^>]*)?>.*?</tr>)", body, re.S):
        if f'href="{page_url(key, feed)}"' in line:
            return line
    raise AssertionError(f"no line for {key} {feed}")
