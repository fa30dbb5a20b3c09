"""Expected pulls on the operator's console (assurance.md section 13, issue 20): "The
operator's console shows every expectation with its state, late ones first and marked,
its last pull and its gaps". The console (operations) never imports alerts: the states
reach it through ``operations.console_facts``, which ``AlertsConfig.ready`` feeds."""

import pytest
import time_machine

from alerts.models import Expectation

from operations.console import page_url
from tests.alerts.conftest import pulled
from tests.support.console import index_cells, index_line
from tests.support.factories import ExpectationFactory, PullFactory, at, issue_key

pytestmark = pytest.mark.django_db

NOW = at("2026-12-01 12:30:00")
INDEX = "/admin/operations/console/"
LONG_AGO = at("2026-11-01 00:00:00")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def lines():
    """InTarget's users: expected every 5m + 10m, last complete pull ended 20 min ago
    (late), a gap 11:00-11:30; its bets: expected every 1h + 10m, pulled 10 min ago (up);
    a key name whose keys are gone, expected since 10:00 and never pulled (late); a fresh
    key never pulled and not expected."""
    ExpectationFactory(key_name="InTarget", feed="users", every=300, grace=600, set_at=LONG_AGO)
    ExpectationFactory(key_name="InTarget", feed="bets", every=3600, grace=600, set_at=LONG_AGO)
    ExpectationFactory(key_name="Gone key", feed="users", every=3600, grace=0, set_at=at("2026-12-01 10:00:00"))
    issue_key("Fresh key", feeds=["transactions"])
    pulled(ended=at("2026-12-01 11:00:01"), window_from=at("2026-12-01 10:00:00"), window_to=at("2026-12-01 11:00:00"))
    pulled(ended=at("2026-12-01 12:10:00"), window_from=at("2026-12-01 11:30:00"), window_to=at("2026-12-01 12:00:00"))
    pulled(ended=at("2026-12-01 12:20:00"), feed="bets", window_from=at("2026-12-01 11:00:00"),
           window_to=at("2026-12-01 12:00:00"))


def test_late_lines_come_first_marked_with_how_long_and_what_is_expected(admin_client, lines):
    body = admin_client.get(INDEX).content.decode()
    states = [(cells[0], cells[1], cells[2]) for cells in index_cells(body)]
    assert states == [
        ("Gone key", "users",
         "late no complete pull in the 2 h 30 min since it was expected expected every 1h + 0s grace"),
        ("InTarget", "users",
         "late no complete pull for 20 min expected every 5m + 10m grace 2 pulls, 0 failed"),
        ("Fresh key", "transactions", "never pulled no pull in the log"),
        ("InTarget", "bets",
         "up last pull 2026-12-01 12:19:58 UTC, served whole expected every 1h + 10m grace 1 pull, 0 failed"),
    ]
    for key in ("Gone key", "InTarget"):
        line = index_line(body, key, "users")
        assert line.startswith('<tr class="line-late">') and '<strong class="state-late">late</strong>' in line
    assert index_line(body, "InTarget", "bets").startswith("<tr>")
    assert '<p class="errornote" id="late-count">2 keys and feeds late: listed first.</p>' in body


def test_a_late_line_shows_its_gap_and_last_whole_window(admin_client, lines):
    cells = index_cells(admin_client.get(INDEX).content.decode())[1]
    assert cells[3] == "2026-12-01 11:30:00 UTC to 2026-12-01 12:00:00 UTC pulled 2026-12-01 12:09:58 UTC"
    assert cells[4] == "from=2026-12-01+11:00:00&amp;to=2026-12-01+11:30:00"


def test_a_late_line_whose_last_pull_failed_says_so(admin_client, lines):
    PullFactory(key_name="InTarget", feed="users", started_at=at("2026-12-01 12:25:00"), status=503)
    cells = index_cells(admin_client.get(INDEX).content.decode())[1]
    assert cells[2] == (
        "late no complete pull for 20 min; last pull 2026-12-01 12:25:00 UTC, answered 503 "
        "expected every 5m + 10m grace 3 pulls, 1 failed"
    )


def test_a_pull_that_ends_in_time_puts_the_line_back_in_its_place_as_up(admin_client, lines):
    pulled(ended=at("2026-12-01 12:29:00"), window_from=at("2026-12-01 12:00:00"), window_to=at("2026-12-01 12:20:00"))
    body = admin_client.get(INDEX).content.decode()
    assert [cells[:2] for cells in index_cells(body)][:2] == [["Gone key", "users"], ["Fresh key", "transactions"]]
    assert index_cells(body)[3][:3] == [
        "InTarget", "users", "up last pull 2026-12-01 12:28:58 UTC, served whole expected every 5m + 10m grace 3 pulls, 0 failed"
    ]
    assert "1 key and feed late" in body


def test_the_page_of_a_late_line_shows_the_expectation_and_when_it_went_late(admin_client, lines):
    body = admin_client.get(page_url("InTarget", "users")).content.decode()
    assert (
        '<p id="state" class="line-late">State: <strong class="state-late">late</strong> '
        "(no complete pull for 20 min; expected every 5m + 10m grace)</p>"
    ) in body
    rows = [
        ("Expected", "a complete pull at least every 5m (300 s), 10m (600 s) of grace"),
        ("Last complete pull ended", "2026-12-01 12:10:00 UTC"),
        ("Greatest to received", "2026-12-01 12:00:00 UTC"),
        ("Late since", "2026-12-01 12:25:00 UTC"),
    ]
    for label, value in rows:
        assert f'<tr><th scope="row">{label}</th><td>{value}</td></tr>' in body


def test_the_page_of_an_up_line_says_when_it_would_go_late(admin_client, lines):
    body = admin_client.get(page_url("InTarget", "bets")).content.decode()
    assert '<p id="state">State: <strong class="state-up">up</strong>' in body
    assert (
        '<tr><th scope="row">Late after</th><td>2026-12-01 13:30:00 UTC, unless a complete pull ends before</td></tr>'
    ) in body


def test_without_an_expectation_a_line_is_as_before(admin_client, lines):
    body = admin_client.get(page_url("Fresh key", "transactions")).content.decode()
    assert '<p id="state">State: <strong class="state-never">never pulled</strong> (no pull in the log)</p>' in body
    assert 'id="expected"' not in body


def test_removing_the_expectation_of_a_gone_key_removes_its_line(admin_client, lines):
    Expectation.objects.filter(key_name="Gone key").delete()
    body = admin_client.get(INDEX).content.decode()
    assert "Gone key" not in body
    assert [cells[0] for cells in index_cells(body)] == ["InTarget", "Fresh key", "InTarget"]
