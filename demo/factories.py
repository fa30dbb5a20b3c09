"""factory_boy factories of the demo's rows: plausible values for every column a feed
serves. Each creates its row with the window timestamp it is given
(``preserve_timestamps()``), so that the demo's rows are spread over hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from factory.django import DjangoModelFactory

from feeds.stamping import preserve_timestamps
from games.models import GameAction
from payments.models import Transaction, Wallet
from players.models import Contact, Login, Player
from sports.models import Bet, BetSelection, SportEvent, Tournament

MARKETS = ["1X2", "Total over 2.5", "Both teams to score", "Handicap -1.5", "Double chance"]


class DemoFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        with preserve_timestamps():
            return super()._create(model_class, *args, **kwargs)


class PlayerFactory(DemoFactory):
    class Meta:
        model = Player

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    gender = factory.Faker("random_element", elements=["male", "female"])
    country = factory.Faker("random_element", elements=["DE", "GB", "ES", "BR", "CA", "FI", "AT"])
    city = factory.Faker("city")
    ip = factory.Faker("ipv4_public")
    birthday = factory.Faker("date_of_birth", minimum_age=18, maximum_age=75)
    ref_code = factory.Faker("random_element", elements=["aff-101", "aff-202", "spring-promo", None])
    traffic_source = factory.Faker("random_element", elements=["google", "facebook", "affiliate", "direct"])
    user_agent = factory.Faker("user_agent")
    is_blocked = factory.Faker("pybool", truth_probability=3)
    self_excluded = factory.Faker("pybool", truth_probability=2)
    locale = factory.Faker("random_element", elements=["en_US", "en_GB", "de", "es", "pt_BR", "fi"])


class ContactFactory(DemoFactory):
    class Meta:
        model = Contact

    email = factory.Faker("safe_email")
    email_confirmed_at = factory.LazyAttribute(lambda o: o.created_at + dt.timedelta(minutes=3))
    email_subscribe = factory.Faker("pybool", truth_probability=70)
    phone = factory.Faker("numerify", text="+4917#########")
    phone_subscribe = factory.Faker("pybool", truth_probability=40)
    push_token = factory.Faker("sha1")


class LoginFactory(DemoFactory):
    class Meta:
        model = Login

    ip = factory.Faker("ipv4_public")
    user_agent = factory.Faker("user_agent")
    host = factory.Faker("random_element", elements=["casino.example", "mirror1.casino.example"])
    is_success = factory.Faker("pybool", truth_probability=90)
    fail_reason = factory.LazyAttribute(lambda o: None if o.is_success else "wrong password")


class TransactionFactory(DemoFactory):
    class Meta:
        model = Transaction

    status = factory.Faker("random_element", elements=["Success"] * 8 + ["Fail", "Process"])
    payment_system = factory.Faker("random_element", elements=["visa", "mastercard", "skrill", "trustly"])
    invoice_id = factory.Faker("uuid4")
    ip = factory.Faker("ipv4_public")
    user_agent = factory.Faker("user_agent")
    requisite = factory.Faker("numerify", text="4### **** **** ####")


class WalletFactory(DemoFactory):
    class Meta:
        model = Wallet


class GameActionFactory(DemoFactory):
    class Meta:
        model = GameAction

    balance_type = "Normal"
    recorded_at = factory.LazyAttribute(lambda o: o.created_at)


class TournamentFactory(DemoFactory):
    class Meta:
        model = Tournament


class SportEventFactory(DemoFactory):
    class Meta:
        model = SportEvent

    class Params:
        home = factory.Faker("city")
        away = factory.Faker("city")

    title = factory.LazyAttribute(lambda o: f"{o.home} - {o.away}")
    type = "match"


class BetFactory(DemoFactory):
    class Meta:
        model = Bet

    user_agent = factory.Faker("user_agent")


class BetSelectionFactory(DemoFactory):
    class Meta:
        model = BetSelection

    market = factory.Faker("random_element", elements=MARKETS)


