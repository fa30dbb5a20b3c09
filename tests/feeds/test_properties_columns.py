"""Properties of the column kinds (``feeds/columns.py``), checked with hypothesis.

What a kind writes, the same kind reads back: at second precision for timestamps (the
feeds truncate), exactly for dates, amounts, integers and flags. On PostgreSQL the
database's own formatting (``sql_text``, used by the COPY fast path) gives the same text.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.columns import (
    CUSTOM_KINDS,
    DATE,
    FLAG_DIGIT,
    FLAG_WORD,
    INTEGER,
    MONEY,
    TIMESTAMP,
    format_timestamp,
    parse_timestamp,
)

FAST = settings(max_examples=200, deadline=None, database=None)
UTC = dt.timezone.utc

offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)))
# Years 2..9998: an offset must not carry the UTC value out of the years datetime has.
instants = st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31), timezones=offsets)
amounts = st.decimals(min_value=Decimal("-1e22") + 1, max_value=Decimal("1e22") - 1, places=8, allow_nan=False)


@FAST
@given(instants)
def test_a_timestamp_cell_reads_back_as_its_instant_truncated_to_the_second(value):
    cell = TIMESTAMP.cell(value)
    assert cell == format_timestamp(value)
    assert len(cell) == 19 and cell[10] == " "
    assert TIMESTAMP.parse(cell) == value.astimezone(UTC).replace(microsecond=0)
    assert parse_timestamp(cell).tzinfo == UTC


@FAST
@given(instants)
def test_a_custom_datetime_is_stored_canonical_and_reads_back_unchanged(value):
    kind = CUSTOM_KINDS["datetime"]
    canonical = kind.parse(value.astimezone(UTC).isoformat("T").split("+")[0])
    assert canonical == format_timestamp(value)
    assert kind.parse(canonical) == canonical
    assert kind.cell(canonical) == canonical


@FAST
@given(st.dates(min_value=dt.date(1, 1, 1)))
def test_a_date_cell_reads_back_as_its_date(value):
    assert DATE.parse(DATE.cell(value)) == value


@FAST
@given(amounts)
def test_an_amount_cell_is_plain_decimal_text_that_reads_back_as_its_value(value):
    cell = MONEY.cell(value)
    assert "e" not in cell.lower() and cell != "-0"
    assert MONEY.parse(cell) == value
    assert MONEY.cell(MONEY.parse(cell)) == cell
    assert MONEY.json(value) == cell  # a JSON number token with the same text


@FAST
@given(st.decimals(min_value=-(10**27) + 1, max_value=10**27 - 1, places=2, allow_nan=False))
def test_a_custom_decimal_is_stored_with_two_places_and_reads_back_unchanged(value):
    kind = CUSTOM_KINDS["decimal"]
    stored = kind.parse(format(value, "f"))
    assert Decimal(stored) == value and len(stored.partition(".")[2]) == 2
    assert kind.parse(stored) == stored


@FAST
@given(st.integers(-(2**63), 2**63 - 1))
def test_an_integer_cell_reads_back_as_its_value(value):
    assert INTEGER.parse(INTEGER.cell(value)) == value
    assert CUSTOM_KINDS["integer"].parse(str(value)) == str(value)


@FAST
@given(st.booleans(), st.sampled_from([FLAG_WORD, FLAG_DIGIT]))
def test_a_flag_cell_reads_back_as_its_value(value, kind):
    assert kind.parse(kind.cell(value)) is value
    assert kind.parse(kind.cell(value).upper()) is value


@FAST
@given(st.text(), st.sampled_from([TIMESTAMP, DATE, MONEY, INTEGER, FLAG_WORD, *CUSTOM_KINDS.values()]))
def test_parsing_any_text_gives_a_value_or_a_value_error_stating_the_expected_form(text, kind):
    try:
        kind.parse(text)
    except ValueError as error:
        assert str(error).startswith("expected"), str(error)


# --- the database's formatting is the same text --------------------------------------

pg = pytest.mark.postgresql
PG = settings(FAST, max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])


def sql_cell(kind, sql_type: str, value) -> str:
    expression = kind.sql_text % {"expressions": f"%s::{sql_type}"}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE({expression}, '')", [value])
        return cursor.fetchone()[0]


@pg
@pytest.mark.django_db
@PG
@given(instants)
def test_postgresql_formats_a_timestamp_as_the_csv_cell(value):
    assert sql_cell(TIMESTAMP, "timestamptz", value) == TIMESTAMP.cell(value)


@pg
@pytest.mark.django_db
@PG
@given(amounts)
def test_postgresql_formats_an_amount_as_the_csv_cell(value):
    assert sql_cell(MONEY, "numeric(30, 8)", value) == MONEY.cell(value)


@pg
@pytest.mark.django_db
@PG
@given(st.dates(min_value=dt.date(1, 1, 1)))
def test_postgresql_formats_a_date_as_the_csv_cell(value):
    assert sql_cell(DATE, "date", value) == DATE.cell(value)
