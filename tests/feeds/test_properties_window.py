"""Properties of window parsing (``feeds/window.py``), checked with hypothesis.

Any whole-second timestamp in any accepted spelling (UTC spelled out or not) reads back
as itself; a fraction of a second is always refused naming its parameter; ``from`` later
than ``to`` is always refused naming ``from``; any other text is a ValidationError
naming the parameter it came in, never another exception.
"""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from feeds.window import _BOUND_RE, _UTC_OFFSETS, Window, parse_window

FAST = settings(max_examples=150, deadline=None, database=None)
UTC = dt.timezone.utc

instants = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59, 999999))


@st.composite
def spelled(draw, instants=instants, fraction_digits=st.just(0)):
    """An instant and one spelling of it: separator, UTC suffix, spaces around, and
    ``fraction_digits`` digits of its fraction (accepted spellings have none)."""
    value = draw(instants)
    digits = draw(fraction_digits)
    fraction = f"{value.microsecond:06d}"[:digits]
    value = value.replace(microsecond=int(fraction.ljust(6, "0")) if digits else 0, tzinfo=UTC)
    separator = draw(st.sampled_from([" ", "T", "+"]))
    suffix = draw(st.sampled_from(["", "Z", "z", "+00:00", " 00:00", "+0000"]))
    # The year zero-padded by hand: strftime("%Y") does not pad on glibc.
    text = f"{value.year:04d}-{value:%m-%d}{separator}{value:%H:%M:%S}" + (f".{fraction}" if digits else "") + suffix
    padding = draw(st.sampled_from(["", " ", "\t", "  "]))
    return value, f"{padding}{text}{padding[::-1]}"


@FAST
@given(spelled(), spelled())
def test_any_spelling_of_a_window_reads_back_as_its_instants(start, end):
    (first, first_text), (second, second_text) = sorted([start, end])
    assert parse_window({"from": first_text, "to": second_text}) == Window(first, second)


@FAST
@given(st.sampled_from(["from", "to"]), spelled(fraction_digits=st.integers(1, 6)), spelled())
def test_a_fraction_of_a_second_is_always_refused_naming_its_parameter(param, fractional, other):
    other_param = "to" if param == "from" else "from"
    try:
        parse_window({param: fractional[1], other_param: other[1]})
    except ValidationError as error:
        assert list(error.detail) == [param]
        assert "whole second" in str(error.detail[param][0])
    else:
        raise AssertionError(f"{fractional[1]!r} was accepted as a window bound")


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
    """A whole second in UTC, as the window accepts it (a real date and time)."""
    match = _BOUND_RE.fullmatch(text.strip())
    if match is None or match["fraction"] or (match["offset"] and match["offset"].lower() not in _UTC_OFFSETS):
        return False
    try:
        dt.datetime.fromisoformat(match["stamp"].replace("+", " "))
    except ValueError:
        return False
    return True


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
