"""WAL positions: what a replica must have replayed to cover the primary's insert position."""

from __future__ import annotations

import pytest

from serving.replicas import lsn, replay_target

pytestmark = [pytest.mark.engine_independent]


def test_positions_are_read_as_byte_counts():
    assert lsn("0/0") == 0
    assert lsn("16/B374D848") == (0x16 << 32) + 0xB374D848


def test_a_position_inside_a_page_is_waited_for_as_it_is():
    assert replay_target("0/3000128", 8192) == 0x3000128


@pytest.mark.parametrize("header", [24, 40])
def test_a_position_just_past_a_page_header_is_waited_for_from_the_page_start(header):
    # The last record ended at the page's end: the replica reports that end, 0/3002000.
    assert replay_target(f"0/{0x3002000 + header:X}", 8192) == 0x3002000


def test_a_position_further_into_the_page_is_not_moved():
    assert replay_target(f"0/{0x3002000 + 48:X}", 8192) == 0x3002000 + 48
