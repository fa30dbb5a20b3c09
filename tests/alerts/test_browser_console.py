"""A late expectation on the operator's console, in a browser (headless Chromium, as
tests/operations/test_browser_console.py drives it, against gunicorn): on the first
page, at 1400 px, the late key and feed is the first line, marked in red with how long no
complete pull came and what is expected, its gap listed ready to ask again; the lines
that are up follow. Screenshot: artifacts/screenshots/console-late.png."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from operations.console import page_url
from tests.alerts.conftest import in_service
from tests.support.servers import ROOT, Gunicorn, manage, new_key, shared_database_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
ALSO_COPIED_TO = Path("/work/coord/screenshots")
SCREEN = {"width": 1400, "height": 900}
OPERATOR, PASSWORD = "operator", "a-long-operator-password-1"
KEY = "InTarget production puller (eu-west-1)"
STAGING = "InTarget staging"
# The admin's --error-fg (#ba2121), the late badge's background.
ERROR_RED = "rgb(186, 33, 33)"

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements-dev.txt")
if not shutil.which(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)", allow_module_level=True)

# Three hours of five-minute windows for three feeds, pulled as each closes (a pull
# ends 2.3 s after its window). users stopped 25 minutes ago and skipped 60 to 80
# minutes ago (a gap); bets and transactions are pulled up to now. Expected every 5m
# with 10m of grace, set a day ago: users is late, the others up. Another key, pulling
# users, has no expectation.
SEED = """
    import datetime as dt
    from alerts.models import Expectation
    from operations.models import Pull
    now = dt.datetime.now(dt.timezone.utc)
    five = dt.timedelta(minutes=5)
    last = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=now.minute % 5)
    pulls = []
    for key, feed, stop, skipped in [
        ({key!r}, "users", 25, True), ({key!r}, "bets", 0, False), ({key!r}, "transactions", 0, False),
        ({staging!r}, "users", 0, False),
    ]:
        for n in range(36):
            end = last - n * five
            ago = (now - end) / dt.timedelta(minutes=1)  # minutes since the window ended
            if ago < stop or (skipped and 60 <= ago < 80):
                continue
            pulls.append(Pull(started_at=end + dt.timedelta(seconds=2), key_name=key, feed=feed, window_from=end - five,
                              window_to=end, format="csv", status=200, complete=True, rows=40 + n % 7 * 9,
                              bytes=5000, duration_ms=300, client="203.0.113.7"))
    Pull.objects.bulk_create(pulls)
    Expectation.objects.bulk_create(
        Expectation(key_name={key!r}, feed=feed, every=300, grace=600, set_at=now - dt.timedelta(days=1))
        for feed in ("users", "bets", "transactions")
    )
"""


@pytest.fixture
def browser() -> Iterator[sync_api.Browser]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def test_the_late_expectation_is_the_first_line_marked_with_its_gap(browser, tmp_path):
    env = shared_database_env(tmp_path)
    manage(env, "collectstatic", "--noinput", "-v0")  # the admin's stylesheet: widths mean nothing without it
    new_key(env, KEY, "--feeds", "users,bets,transactions")
    new_key(env, STAGING, "--feeds", "users")
    in_service(env, SEED.format(key=KEY, staging=STAGING))
    gaps = manage(env, "sync_gaps", "--key", KEY, "--feed", "users").splitlines()[1:]
    assert len(gaps) == 1, gaps  # the 20 minutes skipped
    gap_from, gap_to = gaps[0].split(",")[-2:]
    query = f"from={gap_from.replace(' ', '+')}&to={gap_to.replace(' ', '+')}"
    manage({**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}, "createsuperuser", "--noinput", "--username", OPERATOR,
           "--email", "operator@example.com")

    with Gunicorn(env, tmp_path / "gunicorn.log") as server:
        page = browser.new_page(viewport=SCREEN)
        page.goto(server.url + "/admin/login/")
        page.fill("#id_username", OPERATOR)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(server.url + "/admin/")
        page.goto(server.url + "/admin/operations/console/")

        lines = page.locator("#console-index tbody tr")
        first = lines.nth(0)
        # The late line is first (before KEY's bets, which sorts before it), and the only one.
        assert first.locator(f"td.key a[href='{page_url(KEY, 'users')}']").count() == 1
        assert first.locator("td.feed").inner_text() == "users"
        assert page.locator("#console-index tr.line-late").count() == 1
        assert first.get_attribute("class") == "line-late"
        # Marked: a red badge, in capitals, on a tinted line, saying why and what is expected.
        badge = first.locator("td.state strong.state-late")
        assert badge.is_visible() and badge.inner_text() == "LATE"
        assert badge.evaluate("node => getComputedStyle(node).backgroundColor") == ERROR_RED
        assert first.locator("td.key").evaluate("node => getComputedStyle(node).backgroundColor") != "rgba(0, 0, 0, 0)"
        detail = first.locator("td.state").inner_text()
        assert re.search(r"no complete pull for \d+ min", detail), detail  # 25 min and more
        assert "expected every 5m + 10m grace" in detail
        assert page.locator("#late-count").inner_text() == "1 key and feed late: listed first."
        # Its gap, listed ready to ask again, and drawn on its chart.
        assert first.locator("td.gaps code").all_inner_texts() == [query]
        assert first.locator("svg.rows-chart g.gap rect.gap-fill").count() == 1
        # The chart's peak is written whole, inside the chart.
        chart, peak = first.locator("svg.rows-chart").bounding_box(), first.locator("svg text.peak").bounding_box()
        assert peak["x"] + peak["width"] <= chart["x"] + chart["width"], (peak, chart)
        # The rest: up for the expected ones, pulling for the key with no expectation.
        states = [lines.nth(n).locator("td.state strong").inner_text() for n in range(lines.count())]
        keys = [lines.nth(n).locator("td.key").inner_text() for n in range(lines.count())]
        feeds = [lines.nth(n).locator("td.feed").inner_text() for n in range(lines.count())]
        assert list(zip(keys, feeds, states)) == [
            (KEY, "users", "LATE"), (KEY, "bets", "up"), (KEY, "transactions", "up"), (STAGING, "users", "pulling"),
        ]
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SCREEN["width"], f"the console is {width} px wide"
        path = SCREENSHOTS / "console-late.png"
        page.screenshot(path=path, full_page=True)
        if ALSO_COPIED_TO.is_dir():
            shutil.copyfile(path, ALSO_COPIED_TO / path.name)
        print(f"screenshot: {path}")

        # Its page: the state and the expectation, when it went late.
        first.locator("td.key a").click()
        page.wait_for_selector("#expected")
        assert page.locator("#state strong.state-late").inner_text() == "LATE"
        rows = dict(zip(page.locator("#expected th").all_inner_texts(), page.locator("#expected td").all_inner_texts()))
        assert rows["Late since"].endswith(" UTC")
        last_end = dt.datetime.fromisoformat(rows["Last complete pull ended"].removesuffix(" UTC"))
        late_since = dt.datetime.fromisoformat(rows["Late since"].removesuffix(" UTC"))
        assert late_since - last_end == dt.timedelta(minutes=15)
        page.screenshot(path=SCREENSHOTS / "console-late-page.png", full_page=True)
