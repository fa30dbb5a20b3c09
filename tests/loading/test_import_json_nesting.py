"""Deep JSON nesting is refused with a line (issue 7: 100,000 levels gave a RecursionError traceback).

Records are flat objects of scalars, so the reader never recurses: an array or object
where a record or a value should be is refused where it starts, whatever its depth.
"""

import pytest

from tests.support.imports import refused_import

pytestmark = pytest.mark.django_db

FIRST = '{"id": "t1", "player_id": "p1", "amount": 1, "currency": "EUR", "dir": "IN", "created_at": "2020-10-10 07:00:00"}'


@pytest.mark.parametrize("depth", [100_000, 1_000_000])
def test_arrays_nested_deep_in_place_of_a_record_are_refused_on_their_line(tmp_path, depth):
    message = refused_import(tmp_path / "t.json", f"[\n{FIRST},\n" + "[" * depth + "]" * depth + "\n]\n")
    assert "line 3:" in message and "expected an object" in message, message


@pytest.mark.parametrize("opening", ["[", '{"a": '])
def test_a_value_nested_100000_deep_is_refused_on_its_line_naming_its_key(tmp_path, opening):
    nested = opening * 100_000
    message = refused_import(tmp_path / "t.json", f'[\n{FIRST},\n{{"id": "t2",\n "comment": {nested}}}\n]\n')
    assert "line 4, column 'comment':" in message and "nested" in message, message


@pytest.mark.parametrize("value, kind", [('{"a": 1}', "object"), ("[1, 2]", "array"), ("[]", "array"), ("{}", "object")])
def test_a_nested_object_or_array_as_a_value_is_refused_at_its_line_naming_its_key(tmp_path, value, kind):
    message = refused_import(tmp_path / "t.json", f'[\n{FIRST},\n{{"id": "t2", "player_id": "p1", "amount": 1,\n "ip": {value}}}\n]\n')
    assert "line 4, column 'ip':" in message and f"nested {kind}" in message, message


def test_a_top_level_value_nested_deep_is_refused_on_line_one(tmp_path):
    message = refused_import(tmp_path / "t.json", "[" * 100_000)
    assert "line 1:" in message, message
