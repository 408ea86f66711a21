"""A seeded world of traders: exporters, consignees, forwarders, and who buys what from whom.

Trade is repeat business: a consignee buys from one to three suppliers (big suppliers attract
more customers), each relationship (an `Account`) has its own lane, goods, prices, currency,
payer and rhythm, and ships again and again. Some relationships only start part-way through
the stream (new customers), so ordinary traffic has first sightings too.
"""

from __future__ import annotations

import bisect
import math
import random
import zlib
from collections import defaultdict
from dataclasses import dataclass, field, replace

from screener.sim import premises
from screener.sim.catalogue import (
    COUNTRIES,
    EU,
    FAR_EAST,
    GOODS,
    ROAD_NEIGHBOURS,
    TRADE_WORDS,
    TRANSHIPMENT_PORTS,
    TREASURY_CENTRES,
    Goods,
)

LICENCE_FORMATS = {
    "CN": "CN-DUL-{year}-{n:06d}",  # MOFCOM dual-use export licence
    "US": "D{n:07d}",  # BIS licence number
    "TW": "TW-SHTC-{year}-{n:05d}",
    "KR": "KR-STL-{year}-{n:05d}",
    "JP": "JP-METI-{year}-{n:06d}",
    "DE": "DE-BAFA-{year}-{n:07d}",
    "MX": "MX-SE-{year}-{n:05d}",
}
# Names that do not tell the trade: exporters named for another line of a group, and buyers
# that also buy goods outside their own line (honest cases of GOODS_OUTSIDE_LINE_OF_BUSINESS).
OTHER_NAMED_EXPORTERS = 0.03
OFF_TRADE_ACCOUNTS = 0.04
PAYMENT_METHODS = {
    "wire_transfer": 50,
    "open_account": 25,
    "letter_of_credit": 15,
    "documentary_collection": 10,
}


@dataclass(frozen=True)
class WorldSize:
    exporters: int = 2000
    consignees: int = 4000
    forwarders: int = 300

    def __post_init__(self) -> None:
        if min(self.exporters, self.consignees, self.forwarders) < 1:
            raise ValueError("a world needs at least one exporter, consignee and forwarder")


@dataclass(frozen=True)
class Company:
    name: str
    country: str
    address: str
    trade: str
    registry_id: str | None  # null: declarants do not know it, the name is the key


@dataclass(frozen=True)
class Lane:
    origin: str
    destination: str
    mode: str
    loading: str | None
    discharge: str | None
    transit: tuple[str, ...] = ()


@dataclass
class Account:
    """One exporter selling to one consignee: the unit of repeat business."""

    exporter: Company
    consignee: Company
    goods: tuple[Goods, ...]
    lane: Lane
    forwarder: Company | None
    currency: str
    payment_method: str
    payer_country: str
    usd_per_kg: dict[str, float]  # the agreed price of each of its goods
    load_kg: dict[str, float]  # its usual net mass per line
    rate: float  # relative shipment frequency
    since: float  # share of the stream's span before it starts trading (0: from the start)
    licence: str | None
    invoice_prefix: str
    invoices: int = 0  # running invoice number

    def next_invoice(self, year: int) -> str:
        self.invoices += 1
        return f"{self.invoice_prefix}-{year}-{self.invoices:05d}"


@dataclass
class World:
    exporters: list[Company]
    consignees: list[Company]
    forwarders: list[Company]
    accounts: list[Account]  # sorted by `since`
    names: set[str] = field(default_factory=set)  # every company name, for unique new ones
    _cumulative: list[float] = field(default_factory=list)
    _since: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cumulative = _running_sum(a.rate for a in self.accounts)
        self._since = [a.since for a in self.accounts]

    def pick_account(self, rng: random.Random, progress: float) -> Account:
        """An account already trading at `progress` (0..1 of the span), busier ones likelier."""
        active = bisect.bisect_right(self._since, progress) or 1
        point = rng.uniform(0, self._cumulative[active - 1])
        return self.accounts[min(bisect.bisect_left(self._cumulative, point), active - 1)]

    def forwarder_in(self, rng: random.Random, country: str) -> Company | None:
        local = [f for f in self.forwarders if f.country == country]
        return rng.choice(local) if local else None


def _running_sum(values) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


# --- naming --------------------------------------------------------------------------------


class Namer:
    """Unique company names and plausible addresses in each country's style."""

    def __init__(self, rng: random.Random, taken: set[str]):
        self.rng = rng
        self.taken = taken

    def coined(self, country: str) -> str:
        parts = COUNTRIES[country].syllables
        return (self.rng.choice(parts) + self.rng.choice(parts)).capitalize()

    def company(self, country: str, trade: str, *, registered: bool = True) -> Company:
        c = COUNTRIES[country]
        while True:
            words = [self.coined(country), self.rng.choice(TRADE_WORDS[trade])]
            if self.rng.random() < 0.5:
                words.insert(0, self.rng.choice(c.places))
            name = self.rng.choice(c.legal_forms).format(" ".join(words))
            if name not in self.taken:
                break
        self.taken.add(name)
        address = self.address(country)
        if premises.in_free_zone(name, country):
            address = premises.zone_address(name, country)
        return Company(
            name, country, address, trade, registry_id(name, country) if registered else None
        )

    def address(self, country: str) -> str:
        c = COUNTRIES[country]
        street = f"{self.coined(country)} {self.rng.choice(('Road', 'Street', 'Avenue'))}"
        return f"{self.rng.randint(1, 480)} {street}, {self.rng.choice(c.places)}, {country}"


def registry_id(name: str, country: str) -> str:
    return f"{country}{zlib.crc32(name.encode()):010d}"


# --- the world ----------------------------------------------------------------------------


def build_world(seed: int, size: WorldSize = WorldSize()) -> World:
    rng = random.Random(f"world:{seed}")
    namer = Namer(rng, set())
    # Draws of their own for the quirks, so that the rest of the world stays as it was.
    quirks = random.Random(f"quirks:{seed}")
    countries = list(COUNTRIES)
    weights = [COUNTRIES[c].weight for c in countries]

    forwarders = [
        namer.company(rng.choices(countries, weights)[0], "forwarder")
        for _ in range(size.forwarders)
    ]
    makers: dict[tuple[str, str], list[Company]] = defaultdict(list)  # (trade, country)
    exporters = []
    for _ in range(size.exporters):
        country = rng.choices(countries, weights)[0]
        goods = [g for g in GOODS if country in g.makers]
        if not goods:
            continue
        trade = rng.choices(goods, [g.weight for g in goods])[0].trade
        company = namer.company(country, trade)
        if quirks.random() < OTHER_NAMED_EXPORTERS:  # a group named for another of its trades
            other = quirks.choice(sorted(set(TRADE_WORDS) - {trade, "forwarder"}))
            company = replace(Namer(quirks, namer.taken).company(country, other), trade=trade)
        exporters.append(company)
        makers[trade, country].append(company)

    buyer_trades = sorted({t for g in GOODS for t in g.buyers})
    customers: dict[str, int] = defaultdict(int)  # exporter name -> accounts so far
    business_centres = _business_centres(rng, namer, countries, size.consignees)
    licences: set[str] = set()  # issued to the accounts so far
    consignees, accounts = [], []
    for _ in range(size.consignees):
        country = rng.choices(countries, weights)[0]
        trade = rng.choice(buyer_trades)
        registered = rng.random() < 0.75
        company = _as_intermediary(namer.company(country, trade, registered=registered), namer)
        if rng.random() < 0.04:  # a tenant of a business centre: its address is shared
            company = Company(
                company.name,
                country,
                rng.choice(business_centres[country]),
                trade,
                company.registry_id,
            )
        opened = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            account = _open_account(
                rng, quirks, namer, company, makers, customers, forwarders, licences
            )
            if account is not None:
                opened.append(account)
        if opened:
            consignees.append(company)
            accounts.extend(opened)
    accounts.sort(key=lambda a: a.since)
    return World(exporters, consignees, forwarders, accounts, namer.taken)


def _as_intermediary(company: Company, namer: Namer) -> Company:
    """A buyer that is a distributor, trading house or logistics company (premises.py)."""
    name = premises.intermediary(company.name, company.trade, TRADE_WORDS[company.trade])
    if name == company.name or name in namer.taken:
        return company
    namer.taken.add(name)
    registered = company.registry_id is not None
    return Company(
        name,
        company.country,
        company.address,
        company.trade,
        registry_id(name, company.country) if registered else None,
    )


# Business centres per country for the default 4,000 consignees; a larger world has more
# of them, not more tenants in each (whose shared address is what SHARED_ADDRESS reads).
BUSINESS_CENTRES = 3


def _business_centres(
    rng: random.Random, namer: Namer, countries: list[str], consignees: int
) -> dict[str, list[str]]:
    count = max(BUSINESS_CENTRES, round(BUSINESS_CENTRES * consignees / 4000))
    return {
        c: [f"Suite {rng.randint(100, 3999)}, {namer.address(c)}" for _ in range(count)]
        for c in countries
    }


def _licence(fmt: str, n: int, issued: set[str]) -> str:
    """Licence number `n`, or the next one not issued yet: an authority numbers its licences
    uniquely, and two accounts drawing one number looked like a licence quoted by parties
    other than its holder's. The next free number, not a new draw: the rest of the world
    stays as drawn."""
    while (licence := fmt.format(year=2026, n=n)) in issued:
        n = n % 99_999 + 1
    issued.add(licence)
    return licence


def _open_account(
    rng: random.Random,
    quirks: random.Random,
    namer: Namer,
    consignee: Company,
    makers: dict[tuple[str, str], list[Company]],
    customers: dict[str, int],
    forwarders: list[Company],
    licences: set[str],
) -> Account | None:
    wanted = [g for g in GOODS if consignee.trade in g.buyers]
    if quirks.random() < OFF_TRADE_ACCOUNTS:  # e.g. a metals trader importing tiles to build
        wanted = [g for g in GOODS if not g.licensed]
    goods = rng.choices(wanted, [g.weight for g in wanted])[0]
    sellers = [
        e
        for country in goods.makers
        if _may_trade(country, consignee.country)
        for e in makers.get((goods.trade, country), [])
    ]
    if not sellers:
        return None
    # Preferential attachment: suppliers with many customers win more of them.
    exporter = rng.choices(sellers, [1 + customers[e.name] for e in sellers])[0]
    customers[exporter.name] += 1
    companions = [
        g
        for g in GOODS
        if g is not goods
        and g.trade == goods.trade
        and exporter.country in g.makers
        and consignee.trade in g.buyers
        and g.licensed == goods.licensed
    ]
    lines = (goods, *rng.sample(companions, min(len(companions), rng.choice((0, 0, 1)))))
    lane = _lane(rng, exporter.country, consignee.country, goods)
    currency = COUNTRIES[exporter.country].currency if rng.random() < 0.5 else "USD"
    third_party_payer = rng.random() < 0.05  # a parent company or bank in a treasury centre
    payer = (
        rng.choice([c for c in TREASURY_CENTRES if c != consignee.country])
        if third_party_payer
        else consignee.country
    )
    licence = None
    if goods.licensed:
        fmt = LICENCE_FORMATS.get(exporter.country, exporter.country + "-EL-{year}-{n:06d}")
        licence = _licence(fmt, rng.randint(1, 99_999), licences)
    forwarder = None
    if rng.random() < 0.45:
        local = [f for f in forwarders if f.country == exporter.country]
        forwarder = rng.choice(local) if local else None
    return Account(
        exporter=exporter,
        consignee=consignee,
        goods=lines,
        lane=lane,
        forwarder=forwarder,
        currency=currency,
        payment_method=rng.choices(list(PAYMENT_METHODS), list(PAYMENT_METHODS.values()))[0],
        payer_country=payer,
        usd_per_kg={g.key: rng.uniform(*g.usd_per_kg) for g in lines},
        load_kg={g.key: _typical_load(rng, g, lane.mode) for g in lines},
        rate=math.exp(rng.gauss(0, 1.0)),
        since=0.0 if rng.random() < 0.8 else rng.uniform(0.05, 0.95),
        licence=licence,
        invoice_prefix="".join(w[0] for w in exporter.name.split()[:3]).upper(),
    )


def _may_trade(origin: str, destination: str) -> bool:
    return origin != destination and not (origin in EU and destination in EU)


def _lane(rng: random.Random, origin: str, destination: str, goods: Goods) -> Lane:
    if (origin, destination) in ROAD_NEIGHBOURS and rng.random() < 0.75:
        mode = "road"
    elif rng.random() < (
        0.7 if goods.usd_per_kg[1] >= 200 else 0.25 if goods.usd_per_kg[1] >= 25 else 0
    ):
        mode = "air"  # only valuable goods fly
    else:
        mode = "sea"
    transit: tuple[str, ...] = ()
    if mode == "sea" and origin in FAR_EAST and destination not in FAR_EAST and rng.random() < 0.3:
        transit = (rng.choice([p for p in TRANSHIPMENT_PORTS if p not in (origin, destination)]),)
    if mode == "road":
        return Lane(origin, destination, mode, None, None)
    return Lane(
        origin,
        destination,
        mode,
        rng.choice(COUNTRIES[origin].ports),
        rng.choice(COUNTRIES[destination].ports),
        transit,
    )


def _typical_load(rng: random.Random, goods: Goods, mode: str) -> float:
    low, high = goods.line_kg
    if mode == "air":  # a pallet or two, not a container
        low, high = max(low / 20, 5.0), max(high / 10, 10.0)
    return rng.uniform(low, high)
