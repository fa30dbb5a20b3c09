"""Every column of every feed is classified: personal (blanked by an erasure) or kept, with
a reason (privacy/personal_data.py). A column added to a feed fails here until classified."""

import pytest

from feeds.registry import registry
from privacy.personal_data import KEPT, PERSONAL, personal_columns_of


@pytest.mark.parametrize("name", sorted(registry()))
def test_each_column_of_the_feed_is_either_personal_or_kept(name):
    columns = [column.name for column in registry()[name].columns]
    personal = set(personal_columns_of(name))
    kept = set(KEPT.get(name, {}))
    assert not personal & kept, "both personal and kept"
    assert sorted(personal | kept) == sorted(columns)


def test_the_spec_s_personal_data_is_all_erased():
    """operations.md 11: at least names, gender, city, ip, birthday, user_agent, e-mail,
    phone, push token, requisites (string custom fields: tests/privacy/test_erasure_command.py)."""
    assert set(personal_columns_of("users")) >= {"first_name", "last_name", "gender", "city", "ip", "birthday", "user_agent"}
    assert set(personal_columns_of("contacts")) >= {"email", "phone", "push_token"}
    assert set(personal_columns_of("transactions")) >= {"requisite", "ip", "user_agent"}
    for feed in ("logins", "games", "game-actions"):
        assert set(personal_columns_of(feed)) >= {"ip", "user_agent"}
    assert "user_agent" in personal_columns_of("bets")


@pytest.mark.parametrize("entry", PERSONAL, ids=lambda entry: entry.feed)
def test_every_personal_column_may_be_absent_so_an_erased_row_stays_valid(entry):
    feed = registry()[entry.feed]
    required = {column.name for column in feed.columns if column.required}
    assert not required & set(entry.fields)
    for name in entry.fields:
        assert entry.model._meta.get_field(name).null, name
