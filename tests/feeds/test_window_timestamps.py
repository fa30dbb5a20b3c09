"""Window bounds as ISO 8601 tools write them (issue 9): UTC spelled out with Z or
+00:00 is the same bound; any other offset, or a fraction of a second, is a 400 naming
the parameter."""

import pytest

from tests.support.api import response_ids as ids
from tests.support.factories import TransactionFactory, at

pytestmark = pytest.mark.django_db


def pull(client, query):
    return client.get(f"/api/transactions?{query}")


@pytest.mark.parametrize(
    "query",
    [
        "from=2020-10-10T07:00:00Z&to=2020-10-10T08:00:00Z",
        "from=2020-10-10T07:00:00z&to=2020-10-10T08:00:00z",
        "from=2020-10-10T07:00:00%2B00:00&to=2020-10-10+08:00:00%2B00:00",
        # What a client that does not encode "+" sends: the offset's + arrives as a space.
        "from=2020-10-10T07:00:00+00:00&to=2020-10-10T08:00:00+00:00",
        "from=2020-10-10%2007:00:00%2B0000&to=2020-10-10T08:00:00Z",
    ],
)
def test_utc_spelled_out_is_the_same_window(client_with_key, query):
    TransactionFactory(id="before", updated_at=at("2020-10-10 06:59:59.9"))
    TransactionFactory(id="first", updated_at=at("2020-10-10 07:00:00"))
    TransactionFactory(id="last", updated_at=at("2020-10-10 07:59:59.999999"))
    TransactionFactory(id="next", updated_at=at("2020-10-10 08:00:00"))
    assert ids(pull(client_with_key, query)) == ["first", "last"]


@pytest.mark.parametrize(
    "value",
    ["2020-10-10T08:00:00%2B02:00", "2020-10-10T08:00:00-05:00", "2020-10-10T08:00:00+01:00", "2020-10-10T08:00:00%2B0100"],
)
def test_another_offset_is_a_400_asking_for_utc(client_with_key, value):
    response = pull(client_with_key, f"from=2020-10-10+07:00:00&to={value}")
    assert response.status_code == 400
    body = response.json()
    assert body["param"] == "to"
    assert "must be in UTC" in body["error"] and "YYYY-MM-DD HH:MM:SS" in body["error"]


@pytest.mark.parametrize("value", ["2020-10-10+07:00:00.5", "2020-10-10T07:00:00.000Z", "2020-10-10 07:00:00,25"])
def test_a_fraction_of_a_second_is_a_400_naming_the_parameter(client_with_key, value):
    response = client_with_key.get("/api/transactions", {"from": value, "to": "2020-10-10 08:00:00"})
    assert response.status_code == 400
    body = response.json()
    assert body["param"] == "from"
    assert "whole second" in body["error"] and repr(value) in body["error"]


def test_export_feed_takes_the_same_bounds(tmp_path):
    from django.core.management import CommandError, call_command

    TransactionFactory(id="inside", updated_at=at("2020-10-10 07:30:00"))
    out = tmp_path / "t.csv"
    call_command("export_feed", "transactions", "--from", "2020-10-10T07:00:00Z", "--to", "2020-10-10T08:00:00+00:00", "--output", str(out))
    assert out.read_text().splitlines()[1].startswith("inside,")
    with pytest.raises(CommandError, match="whole second"):
        call_command("export_feed", "transactions", "--from", "2020-10-10 07:00:00.5", "--to", "2020-10-10 08:00:00")
