"""Properties of window parsing (``intarget_export/window.py``), checked with hypothesis.

Any timestamp in any accepted spelling reads back as itself; ``from`` later than ``to``
is always refused naming ``from``; any other text is a ValidationError naming the
parameter it came in, never another exception.
"""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from intarget_export.columns import _TIMESTAMP_RE
from intarget_export.window import Window, parse_window

FAST = settings(max_examples=150, deadline=None, database=None)
UTC = dt.timezone.utc

instants = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59, 999999))


@st.composite
def spelled(draw, instants=instants):
    """An instant and one accepted spelling of it: separator, fraction digits, spaces around."""
    value = draw(instants)
    digits = draw(st.integers(0, 6))
    fraction = f"{value.microsecond:06d}"[:digits]
    value = value.replace(microsecond=int(fraction.ljust(6, "0")) if digits else 0, tzinfo=UTC)
    separator = draw(st.sampled_from([" ", "T", "+"]))
    # The year zero-padded by hand: strftime("%Y") does not pad on glibc.
    text = f"{value.year:04d}-{value:%m-%d}{separator}{value:%H:%M:%S}" + (f".{fraction}" if digits else "")
    padding = draw(st.sampled_from(["", " ", "\t", "  "]))
    return value, f"{padding}{text}{padding[::-1]}"


@FAST
@given(spelled(), spelled())
def test_any_spelling_of_a_window_reads_back_as_its_instants(start, end):
    (first, first_text), (second, second_text) = sorted([start, end])
    assert parse_window({"from": first_text, "to": second_text}) == Window(first, second)


@FAST
@given(spelled(), spelled())
def test_from_later_than_to_is_always_refused_naming_from(start, end):
    if start[0] == end[0]:
        return
    (earlier, earlier_text), (later, later_text) = sorted([start, end])
    try:
        parse_window({"from": later_text, "to": earlier_text})
    except ValidationError as error:
        assert list(error.detail) == ["from"]
        assert str(error.detail["from"][0]).startswith("from must not be later than to")
    else:
        raise AssertionError("an inverted window was accepted")


def _is_timestamp(text: str) -> bool:
    return bool(_TIMESTAMP_RE.fullmatch(text.strip()))


@FAST
@given(st.sampled_from(["from", "to"]), st.text(), st.booleans(), spelled())
def test_any_text_is_a_window_or_a_validation_error_naming_its_parameter(param, text, optional, other):
    other_param = "to" if param == "from" else "from"
    params = {param: text, other_param: other[1]}
    try:
        window = parse_window(params, optional=optional)
    except ValidationError as error:
        named = list(error.detail)
        assert len(named) == 1
        # The parameter whose text is bad, or from when the window is inverted.
        assert named == [param] or (named == ["from"] and _is_timestamp(text)), (params, error.detail)
        assert str(error.detail[named[0]][0]).startswith(named[0]) or "from and to go together" in str(error.detail)
    else:
        assert _is_timestamp(text), f"{text!r} was accepted as a timestamp: {window}"


@FAST
@given(st.text(), st.text())
def test_an_optional_window_never_raises_anything_but_a_validation_error(start, end):
    try:
        parse_window({"from": start, "to": end}, optional=True)
    except ValidationError as error:
        assert set(error.detail) <= {"from", "to"}
