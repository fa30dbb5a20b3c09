"""Realistic demo data for every feed, for ``manage.py seed_demo`` (and ``bin/demo``).

Each player gets one visit of up to ``VISIT`` that ends somewhere in the last ``SPREAD``;
the first player's visit ends a minute ago, so the last hour always has rows in every
feed. Window timestamps are given explicitly (``preserve_timestamps()``), so that they
are spread over those hours instead of all being "now".

Every id starts with ``DEMO_PREFIX`` and the run's tag (``demo-3f9a1c-p0``). A new run
replaces the rows of the earlier ones, in the same transaction: re-running the demo
gives fresh hours of data, not a second pile beside the stale one, and a puller never
sees the feeds empty in between.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Model
from faker import Faker

from access.models import ApiKey
from access.services import api_key_issue, api_keys_revoke
from demo.factories import (
    BetFactory,
    BetSelectionFactory,
    ContactFactory,
    GameActionFactory,
    LoginFactory,
    PlayerFactory,
    SportEventFactory,
    TournamentFactory,
    TransactionFactory,
    WalletFactory,
)
from feeds.columns import CUSTOM_KINDS
from feeds.stamping import preserve_timestamps
from games.models import GameAction
from lib.private_files import private_folder, write_private
from payments.models import Transaction, Wallet
from players.models import Contact, CustomField, Login, Player
from players.services import custom_field_define
from sports.models import Bet, BetSelection, SportEvent, Tournament

# Every demo id starts with it; rows whose id does are the demo's, replaced by each run.
DEMO_PREFIX = "demo-"
# The tables the demo fills, in the order of its summary.
TABLES: list[type[Model]] = [Player, Contact, Login, Transaction, Wallet, GameAction, Tournament, SportEvent, Bet, BetSelection]

SPREAD = dt.timedelta(hours=6)
VISIT = dt.timedelta(minutes=45)
# The latest stamp: a window that ends now must be final already (feeds.md, section 1).
LATEST_AGO = dt.timedelta(minutes=1)

# Currency -> (decimal places, units per euro). BTC shows the 8-decimal amounts.
CURRENCIES = {
    "EUR": (2, Decimal(1)),
    "USD": (2, Decimal("1.08")),
    "GBP": (2, Decimal("0.85")),
    "BTC": (8, Decimal("0.00001573")),
}
GAMES = [
    ("book-of-dead", "Book of Dead", "Play'n GO"),
    ("starburst", "Starburst", "NetEnt"),
    ("sweet-bonanza", "Sweet Bonanza", "Pragmatic Play"),
    ("gates-of-olympus", "Gates of Olympus", "Pragmatic Play"),
    ("lightning-roulette", "Lightning Roulette", "Evolution"),
    ("big-bass-bonanza", "Big Bass Bonanza", "Pragmatic Play"),
]
TOURNAMENTS = [
    ("Premier League", "1", "Football", "GB"),
    ("LaLiga", "1", "Football", "ES"),
    ("Bundesliga", "1", "Football", "DE"),
    ("NBA", "2", "Basketball", "US"),
    ("ATP Vienna", "3", "Tennis", "AT"),
    ("NHL", "4", "Ice Hockey", "US"),
]
# The custom fields the demo fills, by name and type.
CUSTOM_FIELDS = {"vip_level": "integer", "lifetime_value": "decimal"}

# Values shared by the rows of one session (its IP, its browser).
fake = Faker()

@dataclass
class Demo:
    """One run: its tag, its clock and its random source, and what it created."""

    tag: str
    now: dt.datetime
    rng: random.Random
    counts: Counter[str]

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        return start + (end - start) * self.rng.random()

    def moments(self, count: int, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
        return sorted(self.between(start, end) for _ in range(count))

    def money(self, currency: str, euros_low: float, euros_high: float) -> Decimal:
        places, rate = CURRENCIES[currency]
        euros = Decimal(str(round(self.rng.uniform(euros_low, euros_high), 2)))
        return (euros * rate).quantize(Decimal(1).scaleb(-places))

    def made(self, model: type, n: int = 1) -> None:
        self.counts[model._meta.verbose_name_plural] += n


def demo_seed(
    *,
    players: int,
    tag: str,
    now: dt.datetime,
    rng: random.Random | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[Counter[str], int]:
    """Replace the demo data in one transaction: remove the rows of earlier runs, then
    create this run's. Return the rows made per table, and how many rows were removed.
    ``progress`` is told the rows made so far, after each player."""
    if not tag.startswith(DEMO_PREFIX):
        raise ValueError(f"a demo tag starts with {DEMO_PREFIX!r}, so that the next run finds its rows")
    counts = Counter({model._meta.verbose_name_plural: 0 for model in TABLES})
    demo = Demo(tag=tag, now=now, rng=rng or random.Random(), counts=counts)
    with transaction.atomic(), preserve_timestamps():
        removed = demo_clear()
        custom = define_custom_fields()
        events = seed_sports(demo, tournaments=max(2, players // 10))
        latest = now - LATEST_AGO
        for n in range(players):
            visit_end = latest - SPREAD * n / players
            currency = list(CURRENCIES)[n % len(CURRENCIES)]
            seed_player(demo, f"{tag}-p{n}", currency, visit_end - VISIT, visit_end, events, custom)
            if progress is not None:
                progress(demo.counts.total())
    return demo.counts, removed


def demo_clear() -> int:
    """Delete every demo row (id starting with DEMO_PREFIX); return how many there were.
    The custom fields the demo defined stay: they may hold the product's values too."""
    removed = 0
    for model in TABLES:
        pk = model._meta.pk
        # Contacts are keyed by their player: compare the player's id (the same column).
        key = f"{pk.name}__{pk.target_field.name}" if pk.is_relation else pk.name
        removed += model._default_manager.filter(**{f"{key}__startswith": DEMO_PREFIX}).delete()[0]
    return removed


def define_custom_fields() -> dict[str, str]:
    """The demo's custom fields that exist with the demo's type, defining missing ones."""
    existing = dict(CustomField.objects.values_list("name", "type"))
    for name, type in CUSTOM_FIELDS.items():
        if name not in existing:
            existing[name] = custom_field_define(name=name, type=type).type
    return {name: type for name, type in CUSTOM_FIELDS.items() if existing[name] == type}


def seed_sports(demo: Demo, *, tournaments: int) -> list[SportEvent]:
    latest = demo.now - LATEST_AGO
    events: list[SportEvent] = []
    for n in range(tournaments):
        name, sport_id, sport, country = TOURNAMENTS[n % len(TOURNAMENTS)]
        season = demo.now.year if demo.now.month >= 8 else demo.now.year - 1
        tournament = TournamentFactory(
            id=f"{demo.tag}-tour{n}",
            name=name if n < len(TOURNAMENTS) else f"{name} {n // len(TOURNAMENTS) + 1}",
            sport_id=sport_id,
            sport_name=sport,
            country_code=country,
            date_start=dt.datetime(season, 8, 1, tzinfo=dt.timezone.utc),
            date_end=dt.datetime(season + 1, 5, 31, tzinfo=dt.timezone.utc),
            modified_at=latest - SPREAD * n / tournaments - dt.timedelta(minutes=demo.rng.uniform(0, 10)),
        )
        demo.made(Tournament)
        for m in range(demo.rng.randint(3, 5)):
            start = demo.now + dt.timedelta(hours=demo.rng.randint(-3, 72))
            finished = start + dt.timedelta(hours=2) < demo.now
            events.append(
                SportEventFactory(
                    id=f"{demo.tag}-ev{n}-{m}",
                    tournament_id=tournament.id,
                    status="finished" if finished else ("live" if start < demo.now else "scheduled"),
                    start_time=start,
                    end_time=start + dt.timedelta(hours=2) if finished else None,
                    # The first event changed minutes ago: the last hour has one whatever the dice.
                    modified_at=demo.between(latest - SPREAD if events else latest - VISIT / 4, latest),
                )
            )
            demo.made(SportEvent)
    return events


def seed_player(
    demo: Demo,
    player_id: str,
    currency: str,
    start: dt.datetime,
    end: dt.datetime,
    events: list[SportEvent],
    custom: dict[str, str],
) -> None:
    rng = demo.rng
    new = rng.random() < 0.3  # registers during this visit
    registered = start if new else start - dt.timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1440))
    values = {
        "vip_level": str(rng.choice([0, 0, 0, 1, 1, 2, 3, 5])),
        "lifetime_value": f"{rng.uniform(0, 25000):.2f}",
    }
    PlayerFactory(
        id=player_id,
        registered_at=registered,
        modified_at=demo.between(start, end),
        # Stored as the kind's canonical text, exactly what import would store.
        custom={name: CUSTOM_KINDS[type].parse(values[name]) for name, type in custom.items()},
    )
    demo.made(Player)
    ContactFactory(player_id=player_id, created_at=registered, modified_at=demo.between(start, end))
    demo.made(Contact)
    for n, at in enumerate(demo.moments(rng.randint(1, 3), start, end)):
        LoginFactory(id=f"{player_id}-l{n}", player_id=player_id, created_at=at)
        demo.made(Login)
    # A login loaded twice under a second id, then deleted: a tombstone for the deletions
    # feed, dated (the demo keeps its timestamps) the second after the row.
    LoginFactory(id=f"{player_id}-l-twice", player_id=player_id, created_at=demo.between(start, end)).delete()
    balance = seed_transactions(demo, player_id, currency, start, end)
    seed_sessions(demo, player_id, currency, start, end)
    seed_bets(demo, player_id, currency, start, end, events)
    WalletFactory(
        id=f"{player_id}-w0",
        player_id=player_id,
        type="Normal",
        balance=max(balance, Decimal(0)),
        currency=currency,
        created_at=registered,
        modified_at=end,
    )
    demo.made(Wallet)
    if rng.random() < 0.4:
        WalletFactory(
            id=f"{player_id}-w1",
            player_id=player_id,
            type="Prize",
            balance=demo.money(currency, 5, 50),
            currency=currency,
            created_at=registered,
            modified_at=demo.between(start, end),
        )
        demo.made(Wallet)


def seed_transactions(demo: Demo, player_id: str, currency: str, start: dt.datetime, end: dt.datetime) -> Decimal:
    """A deposit, then perhaps a bonus and a withdrawal; returns the real-money balance."""
    rng = demo.rng
    plan = [("IN", "Normal", 20, 500)]
    if rng.random() < 0.5:
        plan.append(("IN", "Prize", 5, 50))
    if rng.random() < 0.4:
        plan.append(("OUT", "Normal", 20, 300))
    balance = Decimal(0)
    for n, ((direction, type, low, high), at) in enumerate(zip(plan, demo.moments(len(plan), start, end))):
        amount = demo.money(currency, low, high)
        created = at - dt.timedelta(seconds=rng.randint(5, 600))
        row = TransactionFactory(
            id=f"{player_id}-t{n}",
            player_id=player_id,
            amount=amount,
            currency=currency,
            type=type,
            dir=direction,
            created_at=max(created, start),
            updated_at=at,
            wallet_id=f"{player_id}-w0" if type == "Normal" else f"{player_id}-w1",
            comment="welcome bonus" if type == "Prize" else None,
            # A bonus is paid by the casino: no card behind it.
            **({"requisite": None, "payment_system": None} if type == "Prize" else {}),
        )
        if type == "Normal" and row.status == "Success":
            balance += amount if direction == "IN" else -amount
        demo.made(Transaction)
    return balance


def seed_sessions(demo: Demo, player_id: str, currency: str, start: dt.datetime, end: dt.datetime) -> None:
    """Casino sessions of several bets, each perhaps followed by a win."""
    rng = demo.rng
    for s, session_start in enumerate(demo.moments(rng.randint(1, 3), start, end - dt.timedelta(minutes=5))):
        code, name, vendor = rng.choice(GAMES)
        stake = demo.money(currency, 0.2, 5)
        at = session_start
        actions: list[tuple[str, Decimal]] = []
        for _ in range(rng.randint(3, 8)):
            actions.append(("bet", stake))
            if rng.random() < 0.4:
                actions.append(("win", (stake * Decimal(str(rng.choice([0.5, 1.2, 2, 3, 10])))).quantize(stake)))
        if not any(action == "win" for action, _ in actions):
            actions.append(("win", stake * 2))
        ip, agent = fake.ipv4_public(), fake.user_agent()
        for a, (action, amount) in enumerate(actions):
            at = min(at + dt.timedelta(seconds=rng.randint(2, 40)), end)
            GameActionFactory(
                id=f"{player_id}-s{s}-a{a}",
                session_id=f"{player_id}-s{s}",
                player_id=player_id,
                game_code=code,
                game_name=name,
                game_vendor=vendor,
                currency=currency,
                action=action,
                amount=amount,
                ip=ip,
                user_agent=agent,
                created_at=at,
            )
        demo.made(GameAction, len(actions))


def seed_bets(
    demo: Demo,
    player_id: str,
    currency: str,
    start: dt.datetime,
    end: dt.datetime,
    events: list[SportEvent],
) -> None:
    rng = demo.rng
    for n, placed in enumerate(demo.moments(rng.randint(1, 2), start, end)):
        legs = rng.sample(events, k=min(len(events), rng.choice([1, 1, 2, 3])))
        ratios = [Decimal(str(round(rng.uniform(1.2, 4.5), 2))) for _ in legs]
        status = rng.choice(["open", "open", "won", "lost"])
        settled = demo.between(placed, end) if status != "open" else placed
        stake = demo.money(currency, 2, 100)
        odds = Decimal(1)
        for ratio in ratios:
            odds *= ratio
        bet = BetFactory(
            id=f"{player_id}-b{n}",
            player_id=player_id,
            status=status,
            type="single" if len(legs) == 1 else "express",
            stake=stake,
            win_amount=(stake * odds).quantize(stake) if status == "won" else None,
            currency=currency,
            kind=rng.choice(["Normal", "Normal", "Normal", "Prize"]),
            created_at=placed,
            modified_at=settled,
        )
        demo.made(Bet)
        for m, (event, ratio) in enumerate(zip(legs, ratios)):
            BetSelectionFactory(
                id=f"{bet.id}-sel{m}",
                bet_id=bet.id,
                event_id=event.id,
                ratio=ratio,
                status=status,
                created_at=placed,
                updated_at=settled,
            )
            demo.made(BetSelection)


# --- the demo's key ------------------------------------------------------------------------

DEMO_KEY_NAME = "demo"
DEMO_KEY_FILE = "demo_key"


def demo_key_get_or_issue(*, data_dir: Path) -> tuple[str, bool]:
    """The demo's pull key and whether it was made just now.

    The same key on every run of the demo, so that curl lines pasted yesterday still
    work: its secret is kept in ``data_dir/demo_key`` (mode 0600, beside the generated
    secret key; the database stores only its hash). A kept secret that no longer opens
    an active key (a new database, a revoked key) is replaced. Other active keys named
    "demo" are revoked: one demo key opens the feeds.
    """
    path = data_dir / DEMO_KEY_FILE
    secret = path.read_text().strip() if path.exists() else ""
    key = ApiKey.objects.for_key(secret) if secret else None
    made = key is None or key.name != DEMO_KEY_NAME
    with transaction.atomic():
        if made:
            key, secret = api_key_issue(name=DEMO_KEY_NAME)
        api_keys_revoke(keys=ApiKey.objects.filter(name=DEMO_KEY_NAME).exclude(pk=key.pk))
    if made:
        write_private(private_folder(data_dir) / DEMO_KEY_FILE, secret + "\n")
    return secret, made
