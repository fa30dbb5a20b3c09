"""``lib.when_sent``: the steps run once an answer has been sent, in their order (REPORT, then
RELEASE), each once; one that fails is logged by its type only and the next still runs."""

import logging

import pytest
from django.http import HttpResponse, StreamingHttpResponse

from lib.when_sent import RELEASE, REPORT, when_sent

# Closing a response sends Django's request_finished, which closes the database connections.
pytestmark = pytest.mark.django_db


def test_the_steps_run_in_their_order_whatever_order_they_were_asked_in():
    ran = []
    response = StreamingHttpResponse(iter([b"x"]))
    when_sent(response, RELEASE, lambda: ran.append("release"))
    when_sent(response, REPORT, lambda: ran.append("report 1"))
    when_sent(response, REPORT, lambda: ran.append("report 2"))
    assert ran == []
    response.close()
    assert ran == ["report 1", "report 2", "release"]


def test_a_step_that_fails_is_logged_by_type_and_the_next_still_run(caplog):
    ran = []
    response = HttpResponse(b"x")

    def failing():
        raise RuntimeError("postgresql://user:secret@db/feeds")

    when_sent(response, REPORT, failing)
    when_sent(response, RELEASE, lambda: ran.append("release"))
    with caplog.at_level(logging.WARNING, logger="lib.when_sent"):
        response.close()
    assert ran == ["release"]
    assert "its report step failed: RuntimeError" in caplog.text
    assert "secret" not in caplog.text


def test_an_unknown_step_is_refused():
    with pytest.raises(ValueError, match="unknown step 'later'"):
        when_sent(HttpResponse(), "later", lambda: None)
