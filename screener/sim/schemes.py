"""Planted diversion schemes (../shared/DOMAIN.md red flags), each a campaign of declarations.

A scheme is what the people behind it do, not what the screener looks for: a shell buys for
weeks, a trader splits a consignment, a forged licence copies a real one. Each campaign
returns its declarations with their times; the stream assembler interleaves them with
ordinary trade. Diverted goods rarely travel with a valid licence, but some carry a stale,
forged or copied reference, and some parties are old customers: not every case is easy.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from screener.sim import compose, premises
from screener.sim.catalogue import COUNTRIES, GOODS_BY_KEY, Goods
from screener.sim.compose import Raw
from screener.sim.lookalikes import listed_entities, near_miss
from screener.sim.world import LICENCE_FORMATS, Account, Company, Lane, Namer, World

Planted = list[tuple[datetime, Raw]]

# Where each kind of controlled goods is diverted through (DOMAIN.md hubs), and where to.
HUBS = {
    "magnets": ("TH", "MX", "VN", "MY", "AE", "TR", "KZ"),
    "minerals": ("TH", "MX", "VN", "MY", "HK", "AE"),
    "chips": ("MY", "SG", "HK", "AE", "KZ", "AM", "KG", "GE", "UZ", "TR"),
}
REAL_DESTINATIONS = {
    "magnets": ("US", "MX", "RU", "IN", "TR"),
    "minerals": ("US", "RU", "IN", "KR"),
    "chips": ("RU", "CN"),
}
CONTROLLED = {
    "magnets": ("ndfeb", "smco"),
    "minerals": ("sm_oxide", "gallium", "germanium_oxide", "antimony"),
    "chips": ("gpus", "servers"),
}
# The cheap goods controlled minerals are declared as (press reports, the ministry).
COVERS = {
    "antimony": ("zinc", "pig_iron"),
    "gallium": ("solder_paste", "zinc"),
    "germanium_oxide": ("tiles",),
    "sm_oxide": ("tiles",),
}
VAGUE_DESCRIPTIONS = (
    "iron parts",
    "metal samples",
    "ceramic tiles",
    "solder paste",
    "zinc alloy ingots",
    "industrial materials",
    "spare parts, assorted",
)
THIRD_COUNTRY_PAYERS = ("HK", "AE", "TR", "SG", "CY", "KZ", "AM")


@dataclass
class Kit:
    """What a scheme draws on: randomness, the world, new companies, earlier ordinary trade."""

    rng: random.Random
    world: World
    namer: Namer
    ordinary: list[tuple[datetime, Raw]]  # the ordinary stream, in time order
    end: datetime
    _times: list[datetime] = field(default_factory=list)
    _shell_addresses: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._times = [t for t, _ in self.ordinary]
        if any(a > b for a, b in pairwise(self._times)):
            raise ValueError("the ordinary stream must be in time order")  # `earlier` bisects

    def earlier(self, at: datetime) -> list[Raw]:
        return [d for _, d in self.ordinary[: bisect.bisect_left(self._times, at)]]

    def shell(self, country: str, trade: str = "general") -> Company:
        """A new company at a formation agent's or free-zone address: a few shells share one."""
        company = self.namer.company(country, trade, registered=self.rng.random() < 0.4)
        addresses = self._shell_addresses.setdefault(country, [])
        if not addresses or (len(addresses) < 4 and self.rng.random() < 0.3):
            agent = self.namer.address(country)
            zone = premises.shell_zone(agent, country)  # a free-zone desk, half the time
            if zone is not None:
                agent = f"Office {agent.split()[0]}, {zone}, {country}"
            addresses.append(f"c/o {self.namer.coined(country)} Corporate Services, {agent}")
        return _moved(company, self.rng.choice(addresses))

    def exporter(self, trade: str, country: str = "CN") -> Company:
        """An established maker of these goods (60 %), or a new trading company."""
        makers = [e for e in self.world.exporters if e.trade == trade and e.country == country]
        if makers and self.rng.random() < 0.6:
            return self.rng.choice(makers)
        return self.namer.company(country, self.rng.choice(("metals", "general", trade)))

    def times(self, start: datetime, n: int, gap_days: tuple[float, float]) -> list[datetime]:
        out, at = [], start
        for _ in range(n):
            if at > self.end:
                break
            out.append(at)
            at += timedelta(days=self.rng.uniform(*gap_days))
        return out


def _moved(company: Company, address: str) -> Company:
    return Company(company.name, company.country, address, company.trade, company.registry_id)


def _controlled(
    rng: random.Random, kinds: tuple[str, ...] = tuple(CONTROLLED)
) -> tuple[str, Goods]:
    kind = rng.choice(kinds)
    return kind, GOODS_BY_KEY[rng.choice(CONTROLLED[kind])]


def _lane(
    rng: random.Random, origin: str, destination: str, goods: Goods, transit: tuple[str, ...] = ()
) -> Lane:
    mode = "air" if goods.usd_per_kg[1] >= 500 else "sea"
    return Lane(
        origin,
        destination,
        mode,
        rng.choice(COUNTRIES[origin].ports) if origin in COUNTRIES else None,
        rng.choice(COUNTRIES[destination].ports) if destination in COUNTRIES else None,
        transit,
    )


def _mass(rng: random.Random, goods: Goods, mode: str, scale: float = 1.0) -> float:
    low, high = goods.line_kg
    if mode == "air":
        low, high = max(low / 20, 5.0), max(high / 10, 10.0)
    return rng.uniform(low, high) * scale


def _fake_licence(rng: random.Random, origin: str, year: int) -> str:
    fmt = LICENCE_FORMATS.get(origin, origin + "-EL-{year}-{n:06d}")
    return fmt.format(year=year, n=rng.randint(1, 99_999))


def _invoice(rng: random.Random, exporter: Company, year: int) -> str:
    prefix = "".join(w[0] for w in exporter.name.split()[:3]).upper()
    return f"{prefix}-{year}-{rng.randint(1, 99_999):05d}"


def _payment(rng: random.Random, payer: str) -> Raw:
    return {"method": rng.choice(("wire_transfer", "letter_of_credit")), "payer_country": payer}


def _shipment(
    kit: Kit,
    at: datetime,
    *,
    exporter: Company,
    consignee: Company,
    lane: Lane,
    items: list[Raw],
    payer: str | None = None,
    final: str | None = None,
    dispatch: str | None = None,
    origin_certificate: str | None = None,
    amendments: list[Raw] | None = None,
    end_user: Company | None = None,
    notify: Company | None = None,
    extra_documents: list[Raw] | None = None,
    kind: str = "export",
) -> Raw:
    rng = kit.rng
    forwarder = kit.world.forwarder_in(rng, dispatch or lane.origin) if rng.random() < 0.5 else None
    docs = compose.documents(
        rng,
        at,
        invoice=_invoice(rng, exporter, at.year),
        exporter_country=exporter.country,
        dispatch=dispatch or lane.origin,
        mode=lane.mode,
        origin_certificate=origin_certificate,
    )
    return compose.declaration(
        at,
        kind=kind,
        office=compose.office_of(lane, "export"),
        parties=compose.parties(
            exporter,
            consignee,
            forwarder=forwarder,
            declarant=forwarder,
            end_user=end_user,
            notify=notify,
        ),
        route=compose.route(lane, dispatch=dispatch, final=final),
        items=items,
        documents=docs + (extra_documents or []),
        payment=_payment(rng, payer or consignee.country),
        amendments=amendments,
    )


# --- the schemes ----------------------------------------------------------------------------


def hub_transshipment(kit: Kit, start: datetime) -> Planted:
    """Controlled goods sold to a new shell in a hub, for weeks: declared onward, or not, or
    transiting the hub to a shell in the real destination (the seed article's route)."""
    rng = kit.rng
    kind, goods = _controlled(rng)
    origin = rng.choice(goods.makers)
    exporter = kit.exporter(goods.trade, origin)
    hub = rng.choice([h for h in HUBS[kind] if h != origin])
    real = rng.choice([c for c in REAL_DESTINATIONS[kind] if c not in (origin, hub)])
    variant = rng.choices(("onward", "hidden", "transit"), (4, 4, 2))[0]
    if variant == "transit":
        consignee = kit.shell(real)
        lane = _lane(rng, origin, real, goods, transit=(hub,))
    else:
        consignee, lane = kit.shell(hub), _lane(rng, origin, hub, goods)
    licence = _fake_licence(rng, origin, start.year) if rng.random() < 0.2 else None
    payer = rng.choice(THIRD_COUNTRY_PAYERS) if rng.random() < 0.4 else consignee.country
    out = []
    for at in kit.times(start, rng.randint(2, 6), (2, 7)):
        usd = rng.uniform(*goods.usd_per_kg)
        line = compose.item(
            1, goods, origin, _mass(rng, goods, lane.mode), usd, "USD", licence_ref=licence
        )
        final = real if variant == "onward" else None
        out.append(
            (
                at,
                _shipment(
                    kit,
                    at,
                    exporter=exporter,
                    consignee=consignee,
                    lane=lane,
                    items=[line],
                    payer=payer,
                    final=final,
                ),
            )
        )
    return out


def misdeclared_goods(kit: Kit, start: datetime) -> Planted:
    """Controlled minerals declared as the cheap goods they hide behind (zinc, iron ingots,
    solder paste, ceramic tiles) at the price actually paid, or under their own HS code with
    a description that names something else."""
    rng = kit.rng
    goods = GOODS_BY_KEY[rng.choice(tuple(COVERS))]
    exporter = kit.exporter(goods.trade)
    hub = rng.choice(HUBS["minerals"])
    consignee = kit.shell(hub, "metals") if rng.random() < 0.6 else _existing(kit, hub, "metals")
    transit = (rng.choice(("TH", "VN", "MY")),) if rng.random() < 0.3 else ()
    transit = tuple(t for t in transit if t != hub)
    lane = _lane(rng, "CN", hub, goods, transit)
    as_cover = rng.random() < 0.6
    out = []
    for at in kit.times(start, rng.randint(1, 4), (3, 10)):
        usd = rng.uniform(*goods.usd_per_kg)
        mass = _mass(rng, goods, lane.mode)
        if as_cover:
            cover = GOODS_BY_KEY[rng.choice(COVERS[goods.key])]
            line = compose.item(1, cover, "CN", mass, usd, "USD")
        else:
            line = compose.item(
                1, goods, "CN", mass, usd, "USD", description=rng.choice(VAGUE_DESCRIPTIONS)
            )
        out.append(
            (
                at,
                _shipment(kit, at, exporter=exporter, consignee=consignee, lane=lane, items=[line]),
            )
        )
    return out


def undervaluation(kit: Kit, start: datetime) -> Planted:
    """Controlled goods invoiced at a fraction of their price (to stay under a value that
    draws a licence check or duty), to a real buyer or a new one, straight there."""
    rng = kit.rng
    _, goods = _controlled(rng)
    origin = rng.choice(goods.makers)
    exporter = kit.exporter(goods.trade, origin)
    buyer_country = rng.choice(("US", "DE", "JP", "KR", "IN", "TR", "MX", "TH", "VN", "PL"))
    if buyer_country == origin:
        buyer_country = "US"
    consignee = (
        _existing(kit, buyer_country, goods.buyers[0])
        if rng.random() < 0.5
        else kit.namer.company(buyer_country, goods.buyers[0], registered=rng.random() < 0.7)
    )
    lane = _lane(rng, origin, buyer_country, goods)
    licence = _fake_licence(rng, origin, start.year) if rng.random() < 0.3 else None
    fraction = rng.uniform(0.08, 0.3)
    out = []
    for at in kit.times(start, rng.randint(1, 3), (5, 15)):
        usd = rng.uniform(*goods.usd_per_kg) * fraction
        line = compose.item(
            1, goods, origin, _mass(rng, goods, lane.mode), usd, "USD", licence_ref=licence
        )
        out.append(
            (
                at,
                _shipment(kit, at, exporter=exporter, consignee=consignee, lane=lane, items=[line]),
            )
        )
    return out


def structuring(kit: Kit, start: datetime) -> Planted:
    """One consignment split into many small lots by air within days, each under the size
    that would draw a licence check, to one to three consignees."""
    rng = kit.rng
    goods = GOODS_BY_KEY[rng.choice(("gallium", "germanium_oxide", "gpus", "smco"))]
    origin = rng.choice(goods.makers)
    exporter = kit.exporter(goods.trade, origin)
    destination = rng.choice(HUBS["chips"] + ("US", "IN", "TR"))
    if destination == origin:
        destination = "HK"
    consignees = [kit.shell(destination) for _ in range(rng.choice((1, 1, 2, 3)))]
    lane = Lane(
        origin,
        destination,
        "air",
        rng.choice(COUNTRIES[origin].ports),
        rng.choice(COUNTRIES[destination].ports),
    )
    out = []
    for at in kit.times(start, rng.randint(6, 14), (0.2, 1.0)):
        mass = (
            rng.uniform(5, 45)
            if goods.kg_per_unit is None
            else goods.kg_per_unit * rng.randint(1, 8)
        )
        line = compose.item(1, goods, origin, mass, rng.uniform(*goods.usd_per_kg), "USD")
        out.append(
            (
                at,
                _shipment(
                    kit,
                    at,
                    exporter=exporter,
                    consignee=rng.choice(consignees),
                    lane=lane,
                    items=[line],
                ),
            )
        )
    return out


def listed_near_miss(kit: Kit, start: datetime) -> Planted:
    """A listed company under a near-miss spelling, as consignee, end user, notify party or
    exporter, buying controlled goods (mostly) or everyday goods."""
    rng = kit.rng
    listed = rng.choice(listed_entities())
    country = rng.choice([c for c in listed.countries if c in COUNTRIES])
    spelling, _ = near_miss(rng, listed)
    # Half give the listed address (a match on it is supporting evidence), half a new one.
    address = listed.address if listed.address and rng.random() < 0.5 else None
    party = Company(spelling, country, address or kit.namer.address(country), "listed", None)
    controlled = rng.random() < 0.7
    if controlled:
        _, goods = _controlled(rng)
    else:
        goods = GOODS_BY_KEY[rng.choice(("routers", "power_supplies", "valves", "pumps"))]
    role = rng.choices(("consignee", "end_user", "notify", "exporter"), (5, 2, 1, 2))[0]
    origin = rng.choice([m for m in goods.makers if m != country] or ["CN"])
    if role == "exporter":
        exporter, buyer_country = party, rng.choice(("US", "DE", "JP", "TR", "IN", "AE"))
        origin = country if country in goods.makers else origin
        consignee = kit.namer.company(buyer_country, goods.buyers[0])
    else:
        exporter = kit.exporter(goods.trade, origin)
        consignee = party if role == "consignee" else kit.shell(country)
    dispatch = exporter.country if exporter.country != origin else None
    destination = consignee.country
    if destination == (dispatch or origin):
        destination = "AE"
    lane = _lane(rng, origin, destination, goods)
    licence = (
        _fake_licence(rng, origin, start.year) if goods.licensed and rng.random() < 0.3 else None
    )
    out = []
    for at in kit.times(start, rng.randint(1, 3), (4, 14)):
        usd = rng.uniform(*goods.usd_per_kg)
        line = compose.item(
            1,
            goods,
            origin,
            _mass(rng, goods, lane.mode),
            usd,
            "USD",
            licence_ref=licence if goods.licensed else None,
        )
        out.append(
            (
                at,
                _shipment(
                    kit,
                    at,
                    exporter=exporter,
                    consignee=consignee,
                    lane=lane,
                    items=[line],
                    dispatch=dispatch,
                    end_user=party if role == "end_user" else None,
                    notify=party if role == "notify" else None,
                    kind="re-export" if dispatch else "export",
                ),
            )
        )
    return out


def reused_documents(kit: Kit, start: datetime) -> Planted:
    """Forged paperwork: the licence, and often the invoice, of an earlier real shipment
    copied onto a shipment of the same goods to a different, new buyer."""
    rng = kit.rng
    licensed = [d for d in kit.earlier(start) if any(i["licence_ref"] for i in d["items"])]
    if not licensed:
        return []
    source = rng.choice(licensed[-400:])
    item = next(i for i in source["items"] if i["licence_ref"])
    goods = next(g for g in GOODS_BY_KEY.values() if g.hs_code == item["hs_code"] and g.licensed)
    origin = item["origin_country"]
    original = source["parties"]["exporter"]
    exporter = (
        Company(
            original["name"], original["country"], original["address"], goods.trade, original["id"]
        )
        if rng.random() < 0.5
        else kit.exporter(goods.trade, origin)
    )
    kind = next(k for k, keys in CONTROLLED.items() if goods.key in keys)
    destination = rng.choice(HUBS[kind] + REAL_DESTINATIONS[kind][:2])
    if destination == origin:
        destination = "AE"
    consignee = kit.shell(destination) if destination in COUNTRIES else kit.shell("AE")
    lane = _lane(rng, origin, consignee.country, goods)
    papers = ("export_licence", "end_user_certificate")
    copied = [dict(d) for d in source["documents"] if d["type"] in papers]
    out = []
    for at in kit.times(start, rng.randint(1, 2), (5, 20)):
        usd = rng.uniform(*goods.usd_per_kg)
        line = compose.item(
            1,
            goods,
            origin,
            _mass(rng, goods, lane.mode),
            usd,
            "USD",
            licence_ref=item["licence_ref"],
        )
        decl = _shipment(
            kit,
            at,
            exporter=exporter,
            consignee=consignee,
            lane=lane,
            items=[line],
            extra_documents=copied,
        )
        if rng.random() < 0.5:  # the invoice number too
            invoice = next(d for d in source["documents"] if d["type"] == "commercial_invoice")
            decl["documents"][0]["number"] = invoice["number"]
        out.append((at, decl))
    return out


def transit_origin_certificate(kit: Kit, start: datetime) -> Planted:
    """Chinese controlled goods moved through a third country whose chamber issues the
    certificate of origin, then sold on as if from there."""
    rng = kit.rng
    _, goods = _controlled(rng, ("magnets", "minerals"))
    via = rng.choice(("VN", "TH", "MY", "KZ", "TR", "ID"))
    destination = rng.choice(("US", "DE", "JP", "KR", "IN", "PL", "RU"))
    re_export = rng.random() < 0.5
    exporter = kit.namer.company(via, "metals") if re_export else kit.exporter(goods.trade)
    consignee = kit.namer.company(destination, goods.buyers[0], registered=rng.random() < 0.6)
    lane = _lane(rng, "CN", destination, goods, transit=() if re_export else (via,))
    if re_export:
        lane = Lane("CN", destination, lane.mode, rng.choice(COUNTRIES[via].ports), lane.discharge)
    licence = _fake_licence(rng, "CN", start.year) if rng.random() < 0.3 else None
    out = []
    for at in kit.times(start, rng.randint(1, 3), (5, 14)):
        usd = rng.uniform(*goods.usd_per_kg)
        line = compose.item(
            1, goods, "CN", _mass(rng, goods, lane.mode), usd, "USD", licence_ref=licence
        )
        out.append(
            (
                at,
                _shipment(
                    kit,
                    at,
                    exporter=exporter,
                    consignee=consignee,
                    lane=lane,
                    items=[line],
                    dispatch=via if re_export else None,
                    origin_certificate=via,
                    kind="re-export" if re_export else "export",
                ),
            )
        )
    return out


def late_consignee_amendment(kit: Kit, start: datetime) -> Planted:
    """A licensed shipment of an established trade relationship, filed for its usual buyer,
    then re-addressed before departure to a new company, often in a hub, often paid from
    elsewhere, and filed again (one planted declaration, sent twice)."""
    rng = kit.rng
    accounts = [a for a in kit.world.accounts if a.licence and a.since < 0.5]
    if not accounts:
        return []
    account = rng.choice(accounts)
    goods = account.goods[0]
    kind = next(k for k, keys in CONTROLLED.items() if goods.key in keys)
    to_hub = rng.random() < 0.6
    destination = rng.choice(HUBS[kind]) if to_hub else account.lane.destination
    if destination == account.lane.origin:
        destination = account.lane.destination
    consignee = kit.shell(destination)
    lane = _lane(rng, account.lane.origin, destination, goods)
    keep_licence = rng.random() < 0.6
    payer = rng.choice(THIRD_COUNTRY_PAYERS) if rng.random() < 0.5 else destination
    fields = ["parties.consignee"] + (["route.destination_country"] if to_hub else [])
    fields += ["payment.payer_country"] if payer != account.payer_country else []
    # Filed again hours or days after the first time, before departure (and the stream's end).
    at = min(
        start + timedelta(minutes=rng.randint(6 * 60, 72 * 60)), kit.end - timedelta(minutes=1)
    )
    line = compose.item(
        1,
        goods,
        account.lane.origin,
        account.load_kg[goods.key],
        account.usd_per_kg[goods.key],
        account.currency,
        licence_ref=account.licence if keep_licence else None,
    )
    # The licence and end-user certificate of the original deal, often left in the file.
    papers = compose.licence_documents(
        rng, at, account.licence, account.lane.origin, account.lane.destination
    )
    decl = _shipment(
        kit,
        at,
        exporter=account.exporter,
        consignee=consignee,
        lane=lane,
        items=[line],
        payer=payer,
        amendments=[compose.amendment(rng, at, f) for f in fields],
        extra_documents=papers if keep_licence else [],
    )
    booked = compose.first_filed(rng, decl, (2, 72))
    return [(at, compose.amends(decl, booked, _as_booked(decl, account, booked, papers)))]


def _as_booked(amended: Raw, account: Account, at: datetime, papers: list[Raw]) -> Raw:
    """The same shipment as first filed, for the relationship's usual buyer under its
    licence: without the amendments and the papers issued since."""
    first = compose.as_filed(amended, at)
    first["parties"]["consignee"] = compose.party(account.consignee)
    usual = account.lane
    first["route"] |= {
        "destination_country": usual.destination,
        "port_of_discharge": usual.discharge,
        "transit_countries": list(usual.transit),
    }
    if first["payment"]:
        first["payment"]["payer_country"] = account.payer_country
    for line in first["items"]:
        line["licence_ref"] = account.licence
    first["documents"] = [d for d in first["documents"] if d not in papers] + papers
    return first


def third_country_payer(kit: Kit, start: datetime) -> Planted:
    """Controlled goods for a buyer in one country, paid from another (the money of the real
    buyer, routed through a trading house in Hong Kong, the Gulf or Turkey)."""
    rng = kit.rng
    kind, goods = _controlled(rng)
    origin = rng.choice(goods.makers)
    exporter = kit.exporter(goods.trade, origin)
    destination = rng.choice(HUBS[kind] + ("DE", "PL", "IN", "BR"))
    if destination == origin:
        destination = "KZ"
    consignee = (
        kit.shell(destination) if rng.random() < 0.7 else _existing(kit, destination, "general")
    )
    payer = rng.choice([c for c in THIRD_COUNTRY_PAYERS if c != destination])
    lane = _lane(rng, origin, destination, goods)
    licence = _fake_licence(rng, origin, start.year) if rng.random() < 0.4 else None
    out = []
    for at in kit.times(start, rng.randint(1, 4), (4, 12)):
        usd = rng.uniform(*goods.usd_per_kg)
        line = compose.item(
            1, goods, origin, _mass(rng, goods, lane.mode), usd, "USD", licence_ref=licence
        )
        out.append(
            (
                at,
                _shipment(
                    kit,
                    at,
                    exporter=exporter,
                    consignee=consignee,
                    lane=lane,
                    items=[line],
                    payer=payer,
                ),
            )
        )
    return out


def _existing(kit: Kit, country: str, trade: str) -> Company:
    """A consignee of the world in this country (of this trade when there is one)."""
    local = [c for c in kit.world.consignees if c.country == country]
    fitting = [c for c in local if c.trade == trade] or local
    if fitting:
        return kit.rng.choice(fitting)
    return kit.namer.company(country, trade)


SCHEMES: dict[str, Callable[[Kit, datetime], Planted]] = {
    "hub_transshipment": hub_transshipment,
    "misdeclared_goods": misdeclared_goods,
    "undervaluation": undervaluation,
    "structuring": structuring,
    "listed_near_miss": listed_near_miss,
    "reused_documents": reused_documents,
    "transit_origin_certificate": transit_origin_certificate,
    "late_consignee_amendment": late_consignee_amendment,
    "third_country_payer": third_country_payer,
}
