"""One limit for a value, whether it comes in CSV or JSON (issue 7: JSON had none).

CSV always had Python's csv field_size_limit (131072 characters); a JSON value could be
any size. ``MAX_FIELD_CHARS`` now bounds both, counted in characters, and a longer value
is refused naming its line and column.
"""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from loading.readers import MAX_FIELD_CHARS
from payments.models import Transaction

pytestmark = pytest.mark.django_db

HEADER = "id,player_id,amount,currency,dir,created_at,comment\n"


def csv_file(tmp_path, comment: str):
    path = tmp_path / "t.csv"
    quoted = comment.replace('"', '""')
    path.write_text(HEADER + "t1,p1,1,EUR,IN,2020-10-10 07:00:00,x\n" + f't2,p1,1,EUR,IN,2020-10-10 07:00:00,"{quoted}"\n')
    return path


def json_file(tmp_path, comment: str):
    path = tmp_path / "t.json"
    rows = [{"id": f"t{n}", "player_id": "p1", "amount": 1, "currency": "EUR", "dir": "IN", "created_at": "2020-10-10 07:00:00"} for n in (1, 2)]
    rows[1]["comment"] = comment
    path.write_text("[\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]\n")
    return path


def import_feed(path) -> None:
    call_command("import_feed", "transactions", str(path), stdout=open("/dev/null", "w"))


# Characters that take more room than one byte or one JSON character: é is two bytes,
# € three, 🎰 four (and a \ud83c\udfb0 pair of escapes in JSON), a quote is doubled in CSV.
VALUES = {"ascii": "x", "accented": "é", "euro": "€", "astral": "🎰", "quote": '"'}


@pytest.mark.parametrize("write", [csv_file, json_file], ids=["csv", "json"])
@pytest.mark.parametrize("char", VALUES.values(), ids=VALUES.keys())
def test_a_value_of_the_limit_is_stored_whole(tmp_path, write, char):
    import_feed(write(tmp_path, char * MAX_FIELD_CHARS))
    assert Transaction.objects.get(id="t2").comment == char * MAX_FIELD_CHARS


@pytest.mark.parametrize("write", [csv_file, json_file], ids=["csv", "json"])
@pytest.mark.parametrize("char", VALUES.values(), ids=VALUES.keys())
def test_a_value_one_character_over_the_limit_is_refused_naming_line_and_column(tmp_path, write, char):
    with pytest.raises(CommandError) as excinfo:
        import_feed(write(tmp_path, char * (MAX_FIELD_CHARS + 1)))
    message = str(excinfo.value)
    assert "line 3, column 'comment':" in message and f"longer than {MAX_FIELD_CHARS} characters" in message, message
    assert not Transaction.objects.exists()


def test_json_escapes_count_as_the_characters_they_stand_for(tmp_path):
    path = tmp_path / "t.json"
    escaped = "\\u00e9" * MAX_FIELD_CHARS  # six characters of file for each one of value
    path.write_text(
        '[{"id": "t1", "player_id": "p1", "amount": 1, "currency": "EUR", "dir": "IN", '
        f'"created_at": "2020-10-10 07:00:00", "comment": "{escaped}"}}]'
    )
    import_feed(path)
    assert Transaction.objects.get().comment == "é" * MAX_FIELD_CHARS


@pytest.mark.parametrize("write", [csv_file, json_file], ids=["csv", "json"])
def test_a_value_of_megabytes_is_refused_without_reading_it_whole(tmp_path, write):
    with pytest.raises(CommandError) as excinfo:
        import_feed(write(tmp_path, "x" * 20 * 2**20))
    assert "line 3" in str(excinfo.value) and "longer than" in str(excinfo.value), str(excinfo.value)
