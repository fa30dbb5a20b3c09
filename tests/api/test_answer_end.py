"""What runs once a feed answer has been sent, and in what order (lib/when_sent.py): the
body's own close, then the report (the pull log and the metrics hear of the answer),
then the key's stream slot goes back. Kept here, with the answers it orders, since the
order is the API's (lib holds only the mechanism)."""


import pytest

from access.leases import Lease
from api import views
from api.answer_end import answer_ended
from tests.support.api import WINDOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(monkeypatch):
    """What happened at the end of the answer, in order."""
    happened: list[str] = []
    feed_body = views.feed_body

    def watched_body(*args, **kwargs):
        def body():
            try:
                yield from feed_body(*args, **kwargs)
            finally:
                happened.append("body closed")

        return body()

    release = Lease.release

    def watched_release(self):
        if not self.released:  # the slot goes back once, however often it is asked to
            happened.append("slot released")
        release(self)

    def reported(sender, answer, **kwargs):
        happened.append(f"reported {answer.status}, complete={answer.complete}")

    monkeypatch.setattr(views, "feed_body", watched_body)
    monkeypatch.setattr(Lease, "release", watched_release)
    answer_ended.connect(reported, dispatch_uid="tests.answer_end")
    yield happened
    answer_ended.disconnect(dispatch_uid="tests.answer_end")


def test_a_stream_sent_to_its_end_closes_its_body_then_is_reported_then_gives_its_slot_back(client_with_key, events):
    response = client_with_key.get("/api/transactions", WINDOW)
    b"".join(response.streaming_content)  # the test client closes the answer at its end
    assert events == ["body closed", "reported 200, complete=True", "slot released"]


def test_a_stream_the_client_left_closes_its_body_then_is_reported_then_gives_its_slot_back(client_with_key, events):
    response = client_with_key.get("/api/transactions", WINDOW)
    next(iter(response.streaming_content))  # the header line, then the client goes away
    assert events == []
    response.close()  # as the server does
    response.close()  # a second close runs nothing again
    assert events == ["body closed", "reported 200, complete=False", "slot released"]


def test_an_answer_made_whole_in_memory_gives_its_slot_back_before_it_is_sent(client_with_key, events):
    response = client_with_key.get("/api/transactions", {**WINDOW, "from": "yesterday"})
    assert response.status_code == 400
    # The test client closed it: the slot went back when the answer was made, not after.
    assert events == ["slot released", "reported 400, complete=True"]
