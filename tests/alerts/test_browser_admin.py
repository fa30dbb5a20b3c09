"""The alert pages of the admin in a browser (headless Chromium, as
tests/operations/test_browser_console.py drives it): the expectations and the
notifications lists, full of long key names and deliveries in every state, fit a 1400 px
screen, and the late ones stand out. Screenshots: artifacts/screenshots/alerts-*.png."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from django.urls import reverse

from tests.alerts.conftest import in_service
from tests.support.servers import ROOT, Gunicorn, manage, shared_database_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
SCREEN = {"width": 1400, "height": 900}
OPERATOR, PASSWORD = "operator", "a-long-operator-password-1"
WIDTHS = """() => {
    const box = document.querySelector('#changelist .results');
    const table = document.querySelector('#result_list');
    return {page: document.documentElement.scrollWidth, box: box ? box.clientWidth : 0,
            table: table ? table.scrollWidth : 0};
}"""

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements-dev.txt")
if not shutil.which(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)", allow_module_level=True)

SEED = """
    import datetime as dt
    from alerts.models import Delivery, Expectation, Notification
    from alerts.services import expectations_check
    from operations.models import Pull
    now = dt.datetime.now(dt.timezone.utc)
    names = ["InTarget production, the main import job of the CRM", "InTarget staging", "Backup"]
    feeds = ["users", "contacts", "transactions", "bet-selections", "sport-events"]
    Expectation.objects.bulk_create(
        Expectation(key_name=name, feed=feed, every=300, grace=600, set_at=now - dt.timedelta(days=1))
        for name in names for feed in feeds
    )
    for feed in feeds[:3]:  # up, with a gap each
        for hours in (3, 1):
            end = now - dt.timedelta(hours=hours)
            Pull.objects.create(started_at=end, key_name=names[0], feed=feed, window_from=end - dt.timedelta(minutes=30),
                                window_to=end, format="csv", status=200, complete=True, duration_ms=1234)
        Pull.objects.create(started_at=now, key_name=names[0], feed=feed, format="csv", status=200, complete=True)
    expectations_check()
    for n, delivery in enumerate(Delivery.objects.all()):
        delivery.attempts = n % 4
        delivery.last_error = ["", "HTTP 503", "SMTPRecipientsRefused", "ConnectionRefusedError"][n % 4]
        delivery.delivered_at = now if n % 3 == 0 else None
        delivery.save()
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


def test_the_alert_lists_fit_the_screen_and_show_what_is_late(browser, tmp_path):
    env = shared_database_env(
        tmp_path, ALERT_WEBHOOK_URL="http://127.0.0.1:9/hook", ALERT_EMAIL_TO="ops@example.com,oncall@example.com"
    )
    manage(env, "collectstatic", "--noinput", "-v0")  # the admin's stylesheet: widths mean nothing without it
    in_service(env, SEED)
    manage({**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD}, "createsuperuser", "--noinput", "--username", OPERATOR,
           "--email", "operator@example.com")
    with Gunicorn(env, tmp_path / "gunicorn.log") as server:
        page = browser.new_page(viewport=SCREEN)
        page.goto(server.url + "/admin/login/")
        page.fill("#id_username", OPERATOR)
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(server.url + "/admin/")
        too_wide = {}
        for name in ("expectation", "notification"):
            page.goto(server.url + reverse(f"admin:alerts_{name}_changelist"))
            assert page.locator("#result_list tbody tr").count() >= 12  # 15 expectations, 12 late
            page.screenshot(path=SCREENSHOTS / f"alerts-{name}-list.png", full_page=True)
            widths = page.evaluate(WIDTHS)
            if widths["page"] > SCREEN["width"] or widths["table"] > widths["box"]:
                too_wide[name] = widths
            if name == "expectation":
                assert page.locator("#result_list strong", has_text="late").count() == 12  # 15 less the 3 up
            else:  # each notification's delivery on each channel, in words
                for channel in ("webhook", "email"):
                    shown = page.locator(f"#result_list td.field-{channel}").all_inner_texts()
                    assert any(text.startswith("delivered ") for text in shown), shown
                    assert any(text.startswith("pending: ") and ", last " in text for text in shown), shown
        assert too_wide == {}, f"lists wider than {SCREEN['width']} px: {too_wide}"
