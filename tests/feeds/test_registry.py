"""The registry finds each installed app's ``feeds.py`` (autodiscovery), and lists the
feeds in the order of INSTALLED_APPS: the order of the API's document and the README."""

from importlib import import_module

from feeds.registry import registry, served_feeds

SHIPPED = [
    "users", "contacts", "logins",  # players
    "transactions", "wallets",  # payments
    "games", "game-actions",  # games
    "tournaments", "sport-events", "bets", "bet-selections",  # sports
    "deletions",  # deletions
]


def test_every_feed_in_the_order_of_installed_apps():
    assert list(registry()) == SHIPPED


def test_each_feed_is_declared_in_the_feeds_module_of_its_models_app():
    for feed in registry().values():
        assert feed in import_module(f"{feed.model._meta.app_config.name}.feeds").FEEDS


def test_only_served_feeds_are_served():
    assert list(served_feeds()) == [name for name in SHIPPED if name != "game-actions"]
