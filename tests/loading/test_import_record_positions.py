"""A refusal also names the record's position in the file (JSON: the object's 1-based
place in the array), which a pushed JSON body reports as its `line` (operations.md
section 10), since a request body has no lines an editor would show."""

import io

import pytest

from feeds.registry import served_feeds
from loading.importing import import_stream
from loading.readers import ImportRefused
from payments.models import Transaction

pytestmark = pytest.mark.django_db

GOOD = '{"id": "t%d", "player_id": "p1", "amount": 1, "currency": "EUR", "dir": "IN", "created_at": "2020-10-10 07:00:00"}'


def refusal(body: str, format: str) -> ImportRefused:
    with pytest.raises(ImportRefused) as excinfo:
        import_stream(served_feeds()["transactions"], io.BytesIO(body.encode()), format)
    assert not Transaction.objects.exists()
    return excinfo.value


def test_a_bad_value_in_the_third_pretty_printed_object_names_position_3_and_its_own_line():
    objects = [GOOD % 1, GOOD % 2, (GOOD % 3).replace('"amount": 1', '"amount":\n "lots"')]
    refused = refusal("[\n" + ",\n".join(objects) + "\n]", "json")
    assert (refused.record, refused.line, refused.column) == (3, 5, "amount")


def test_a_syntax_fault_after_two_objects_names_the_third():
    refused = refusal("[" + GOOD % 1 + "," + GOOD % 2 + ", {\"id\" \"t3\"}]", "json")
    assert refused.record == 3 and refused.line == 1


def test_an_unknown_key_names_its_object():
    refused = refusal("[" + GOOD % 1 + ", " + (GOOD % 2).replace('"dir"', '"direction"') + "]", "json")
    assert (refused.record, refused.column) == (2, "direction")


def test_csv_records_are_counted_apart_from_lines():
    header = "id,player_id,amount,currency,dir,created_at,comment\n"
    rows = 't1,p1,1,EUR,IN,2020-10-10 07:00:00,"two\nlines"\n' + "t2,p1,x,EUR,IN,2020-10-10 07:00:00,\n"
    refused = refusal(header + rows, "csv")
    assert (refused.record, refused.line, refused.column) == (2, 4, "amount")


def test_every_listed_fault_carries_its_record():
    bad = [(GOOD % n).replace('"amount": 1', '"amount": "x"') for n in (1, 2, 3)]
    refused = refusal("[" + ",".join([GOOD % 0, *bad]) + "]", "json")
    assert [fault.record for fault in refused.faults] == [2, 3, 4]
