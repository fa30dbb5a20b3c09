"""The users feed and the custom-field rule share one list of standard columns (issue 8).
The import graph that once lived here is tests/intarget_export/test_architecture.py's."""


def test_the_users_feed_and_the_custom_field_rule_share_one_list_of_standard_columns():
    from players import feeds, models, users_columns

    assert feeds.FEEDS[0].columns is users_columns.USERS_COLUMNS
    assert models.USERS_STANDARD_COLUMNS is users_columns.USERS_STANDARD_COLUMNS
