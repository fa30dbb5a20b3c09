"""One factory per model. Window timestamps are kept as given (tests need exact instants)."""

import datetime as dt
import json
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from access.models import ApiKey
from alerts.models import Channel, Delivery, Expectation, Notification, NotificationType, NotifiedGap
from access.services import api_key_issue
from feeds.stamping import preserve_timestamps
from games.models import GameAction
from operations.models import Pull
from payments.models import Transaction, Wallet
from players.models import Contact, CustomField, Login, Player
from sports.models import Bet, BetSelection, SportEvent, Tournament

UTC = dt.timezone.utc


def at(text: str) -> dt.datetime:
    """``at("2020-10-10 07:00:00.5")``: an aware UTC datetime, for readable test data."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


class StampedFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with preserve_timestamps():
            return super()._create(model_class, *args, **kwargs)


class PlayerFactory(StampedFactory):
    class Meta:
        model = Player

    id = factory.Sequence(lambda n: f"p{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    gender = factory.Faker("random_element", elements=["male", "female"])
    country = factory.Faker("country_code")
    city = factory.Faker("city")
    ip = factory.Faker("ipv4")
    birthday = factory.Faker("date_of_birth", minimum_age=18, maximum_age=80)
    registered_at = factory.LazyAttribute(lambda o: o.modified_at - dt.timedelta(days=30))
    ref_code = "aff-1"
    traffic_source = "google"
    user_agent = factory.Faker("user_agent")
    modified_at = at("2020-10-10 07:30:00")
    is_blocked = False
    self_excluded = False
    locale = "en_US"


class ContactFactory(StampedFactory):
    class Meta:
        model = Contact

    player = factory.SubFactory(PlayerFactory)
    email = factory.Faker("email")
    email_confirmed_at = factory.LazyAttribute(lambda o: o.created_at)
    email_subscribe = True
    phone = factory.Faker("numerify", text="+3579#######")
    phone_subscribe = False
    phone_confirmed_at = None
    push_token = None
    created_at = factory.LazyAttribute(lambda o: o.modified_at - dt.timedelta(days=1))
    modified_at = at("2020-10-10 07:30:00")


class CustomFieldFactory(DjangoModelFactory):
    class Meta:
        model = CustomField

    name = factory.Sequence(lambda n: f"custom_{n}")
    type = "string"


class LoginFactory(StampedFactory):
    class Meta:
        model = Login

    id = factory.Sequence(lambda n: f"l{n}")
    player_id = factory.Sequence(lambda n: f"p{n}")
    ip = factory.Faker("ipv4")
    created_at = at("2020-10-10 07:30:00")
    ref_code = None
    traffic_source = None
    user_agent = factory.Faker("user_agent")
    host = "casino.example"
    is_success = True
    fail_reason = None


class TransactionFactory(StampedFactory):
    class Meta:
        model = Transaction

    id = factory.Sequence(lambda n: f"t{n}")
    player_id = factory.Sequence(lambda n: f"p{n}")
    amount = Decimal("100.00")
    currency = "USD"
    type = "Normal"
    status = "Success"
    payment_system = "visa"
    dir = "IN"
    created_at = factory.LazyAttribute(lambda o: o.updated_at - dt.timedelta(minutes=5))
    updated_at = at("2020-10-10 07:30:00")
    invoice_id = None
    wallet_id = None
    user_agent = None
    ip = None
    requisite = "4111 **** **** 1111"
    comment = None


class WalletFactory(StampedFactory):
    class Meta:
        model = Wallet

    id = factory.Sequence(lambda n: f"w{n}")
    player_id = factory.Sequence(lambda n: f"p{n}")
    type = "Normal"
    balance = Decimal("50.00")
    currency = "EUR"
    created_at = factory.LazyAttribute(lambda o: o.modified_at - dt.timedelta(days=2))
    modified_at = at("2020-10-10 07:30:00")


class GameActionFactory(StampedFactory):
    class Meta:
        model = GameAction

    id = factory.Sequence(lambda n: f"a{n}")
    session_id = "s1"
    player_id = "p1"
    game_code = "book-of-ra"
    game_name = "Book of Ra"
    game_vendor = "Novomatic"
    currency = "EUR"
    action = "bet"
    amount = Decimal("1.00")
    balance_type = "Normal"
    ip = "10.0.0.1"
    user_agent = "Mozilla/5.0"
    ref_code = None
    created_at = at("2020-10-10 07:30:00")
    recorded_at = factory.LazyAttribute(lambda o: o.created_at)


class TournamentFactory(StampedFactory):
    class Meta:
        model = Tournament

    id = factory.Sequence(lambda n: f"tour{n}")
    name = "Premier League"
    sport_id = "1"
    sport_name = "Football"
    country_code = "GB"
    date_start = at("2020-08-01 00:00:00")
    date_end = at("2021-05-30 00:00:00")
    modified_at = at("2020-10-10 07:30:00")


class SportEventFactory(StampedFactory):
    class Meta:
        model = SportEvent

    id = factory.Sequence(lambda n: f"ev{n}")
    tournament_id = "tour1"
    title = "Arsenal - Chelsea"
    status = "scheduled"
    start_time = at("2020-10-11 15:00:00")
    end_time = None
    type = "match"
    modified_at = at("2020-10-10 07:30:00")


class BetFactory(StampedFactory):
    class Meta:
        model = Bet

    id = factory.Sequence(lambda n: f"b{n}")
    player_id = "p1"
    status = "open"
    type = "single"
    stake = Decimal("10.00")
    win_amount = None
    currency = "EUR"
    kind = "Normal"
    created_at = factory.LazyAttribute(lambda o: o.modified_at)
    user_agent = None
    modified_at = at("2020-10-10 07:30:00")


class BetSelectionFactory(StampedFactory):
    class Meta:
        model = BetSelection

    id = factory.Sequence(lambda n: f"sel{n}")
    bet_id = "b1"
    event_id = "ev1"
    ratio = Decimal("1.85")
    status = "open"
    market = "1X2"
    created_at = factory.LazyAttribute(lambda o: o.updated_at)
    updated_at = at("2020-10-10 07:30:00")


def issue_key(name: str = "tests", **rules) -> tuple[ApiKey, str]:
    """An API key and its secret, made as create_api_key makes them (rules: feeds,
    networks, expires_at, push)."""
    return api_key_issue(name=name, **rules)


class PullFactory(DjangoModelFactory):
    class Meta:
        model = Pull

    started_at = factory.LazyFunction(lambda: dt.datetime.now(UTC))
    key_name = "InTarget"
    feed = "users"
    window_from = factory.LazyAttribute(lambda pull: pull.started_at.replace(microsecond=0) - dt.timedelta(hours=1))
    window_to = factory.LazyAttribute(lambda pull: pull.window_from + dt.timedelta(hours=1))
    format = "csv"
    status = 200
    rows = 10
    bytes = 1000
    duration_ms = 12
    client = "203.0.113.7"
    complete = True


class ExpectationFactory(DjangoModelFactory):
    """An expected pull (expect_pulls); ``set_at`` now unless given."""

    class Meta:
        model = Expectation

    key_name = "InTarget"
    feed = "users"
    every = 3600
    grace = 600
    set_at = factory.LazyFunction(lambda: dt.datetime.now(UTC))


class NotifiedGapFactory(DjangoModelFactory):
    class Meta:
        model = NotifiedGap

    expectation = factory.SubFactory(ExpectationFactory)
    start = at("2020-10-10 07:00:00")
    end = at("2020-10-10 08:00:00")


class NotificationFactory(DjangoModelFactory):
    """A notification in the outbox, its body as send_alerts writes it."""

    class Meta:
        model = Notification

    type = NotificationType.LATE
    key_name = "InTarget"
    feed = "users"
    created_at = factory.LazyFunction(lambda: dt.datetime.now(UTC))
    body = factory.LazyAttribute(
        lambda n: json.dumps(
            {
                "type": n.type, "key": n.key_name, "feed": n.feed, "state": "late", "last_pull_at": None,
                "last_to": None, "gap": None, "at": n.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
    )
    webhook_id = factory.Sequence(lambda n: f"msg_factory{n}")


class DeliveryFactory(DjangoModelFactory):
    class Meta:
        model = Delivery

    notification = factory.SubFactory(NotificationFactory)
    channel = Channel.WEBHOOK
