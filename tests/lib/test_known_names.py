"""One message for a name that does not exist (lib/known_names.py): the option, the name,
the nearest known one, and the names there are."""

import pytest
from django.core.management.base import CommandError

from lib.known_names import LISTED, known_name, unknown_name_message


def refuse(value, known, option="--feed", what="feed"):
    with pytest.raises(CommandError) as refused:
        known_name(value, exists=lambda name: name in known, known=lambda: known, option=option, what=what)
    return str(refused.value)


def test_a_known_name_is_returned_without_reading_the_list():
    def never():
        raise AssertionError("the list is read only to refuse")

    assert known_name("users", exists=lambda name: True, known=never, option="--feed", what="feed") == "users"


def test_an_unknown_name_is_named_with_the_nearest_and_every_known_one_in_order():
    assert refuse("userz", ["users", "contacts", "logins"]) == (
        "--feed: no feed 'userz'; did you mean 'users'? The feeds: users, contacts, logins"
    )


def test_the_nearest_name_is_found_whatever_its_case():
    assert "did you mean 'InTarget'?" in refuse("intarget", {"InTarget", "demo"}, option="--key", what="key name")


def test_a_set_of_names_is_listed_sorted_and_with_no_near_one_there_is_no_guess():
    assert refuse("zzz", {"b", "a"}) == "--feed: no feed 'zzz'; the feeds: a, b"


def test_an_argument_that_is_not_an_option_has_no_prefix():
    assert refuse("nobody", {"InTarget"}, option=None, what="key name") == "no key name 'nobody'; the key names: InTarget"


def test_no_names_at_all_says_there_is_none_yet():
    assert refuse("nobody", set(), option="--key", what="key name") == "--key: no key name 'nobody'; there is none yet"


def test_a_long_list_is_cut_and_says_how_many_there_are():
    names = [f"key-{n:03}" for n in range(LISTED + 5)]
    message = unknown_name_message("other", names, option="--key", what="key name")
    assert message.endswith(f"key-{LISTED - 1:03}, … ({LISTED + 5} in all)")
    assert f"key-{LISTED:03}" not in message
