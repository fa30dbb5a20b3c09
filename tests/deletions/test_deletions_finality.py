"""Deletions are under the same finality as any change (assurance.md section 15): a
window of /api/deletions is served once no transaction that could still delete into it
is open. Another system deletes a row with plain SQL and holds its transaction open past
the end of the window its tombstone is stamped in: the window is not served (503) until
it commits, then it is, with the tombstone. With finality's wait switched off the same
window is answered 200 without it, and the tombstone commits into a window already
served: a puller that moved on never learns of the deletion (the loss finality
prevents; the replay, tests/serving/test_replay.py, shows the same under load)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from rest_framework.test import APIClient

from tests.support.factories import PlayerFactory, issue_key
from tests.support.pg import database_now, next_whole_second, raw_connection

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def deletions(start: dt.datetime, end: dt.datetime):
    _, secret = issue_key()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api.get("/api/deletions", {"from": f"{start:%Y-%m-%d %H:%M:%S}", "to": f"{end:%Y-%m-%d %H:%M:%S}"})


def rows(response) -> list[str]:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode().splitlines()[1:]


def open_deletion(other) -> tuple[dt.datetime, dt.datetime]:
    """p1 deleted in ``other``'s open transaction; the window of its tombstone, once ended."""
    other.execute("DELETE FROM players_player WHERE id = 'p1'")
    deleted_at = other.execute("SELECT deleted_at FROM deletions_tombstone").fetchone()[0]
    end = next_whole_second(deleted_at)
    while database_now() <= end:  # the window has ended; the deletion is still open
        time.sleep(0.02)
    return end - dt.timedelta(seconds=1), end


def test_a_window_with_a_deletion_still_open_is_not_served_until_it_commits(settings):
    settings.FINALITY_MAX_WAIT = 0.3
    PlayerFactory(id="p1")
    with raw_connection() as other:
        start, end = open_deletion(other)
        waiting = deletions(start, end)
        assert waiting.status_code == 503 and "Retry-After" in waiting
        other.commit()
    assert rows(deletions(start, end)) == [f"users,p1,{start:%Y-%m-%d %H:%M:%S}"]


def test_without_finality_s_wait_the_open_deletion_is_lost_to_the_window_already_served(settings):
    settings.FINALITY_WAIT_FOR_WRITERS = False
    PlayerFactory(id="p1")
    with raw_connection() as other:
        start, end = open_deletion(other)
        served = rows(deletions(start, end))
        other.commit()
    assert served == []  # the answer a puller took for that window, and moved on from
    assert rows(deletions(start, end)) == [f"users,p1,{start:%Y-%m-%d %H:%M:%S}"]  # where the tombstone went
