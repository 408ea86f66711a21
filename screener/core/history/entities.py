"""Which entities a declaration touches, and what it tells each of them.

Scatter is a pure function: the same declaration and policy always give the same events,
keyed so that every declaration touching an entity reaches the one partition that owns it.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from screener.core.policy import Policy
from screener.models import Declaration, DocumentType, Party
from screener.reference import names
from screener.reference.documents import document_number

PARTY_ROLES_WITH_HISTORY = (
    "exporter",
    "consignee",
    "notify_party",
    "freight_forwarder",
    "end_user",
)
# Documents whose numbers belong to one shipment or one authorisation: the carrier's
# transport document and the authority's export licence. Invoices and packing lists are left
# out (their numbers are unique only per issuer: many exporters number from 00001), so are
# end-user certificates (short serials per issuer) and, for now, certificates of origin (the
# simulated ones draw random six-digit serials that collide; real chambers number uniquely).
TRACKED_DOCUMENTS = (
    DocumentType.BILL_OF_LADING,
    DocumentType.AIR_WAYBILL,
    DocumentType.EXPORT_LICENCE,
)
_WORD = re.compile(r"[0-9a-z]+")
# Unit values are remembered as a histogram of log10(USD/kg) in steps of 0.05 (about 12 %).
UNIT_VALUE_STEP = 0.05


class Kind:
    PARTY = "party"
    LANE = "lane"
    HS6 = "hs6"
    GOODS = "goods"  # one HS6 code under one description: identical goods
    ADDRESS = "address"
    FLOW = "flow"
    DOCUMENT = "document"


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__, four
# times the cost, and every declaration builds about eight events twice (scatter, then history
# reading them back). Nothing changes an event once built.
@dataclass(slots=True)
class EntityEvent:
    """One declaration as seen by one entity: only the facts that entity remembers."""

    key: str
    kind: str
    role: str
    declaration_id: str
    declared_at: int  # epoch seconds, event time
    label: str  # the entity as a person reads it: a party name, a route, an HS code
    counterparties: tuple[str, ...] = ()
    route: str = ""
    countries: tuple[str, ...] = ()
    hubs: tuple[str, ...] = ()
    chapters: tuple[str, ...] = ()
    controlled: bool = False
    mass_g: int = 0
    controlled_mass_g: int = 0  # of the controlled lines only
    value_cents: int = 0  # USD
    unit_values: tuple[tuple[int, float], ...] = field(default=())  # (line, USD/kg)
    payer: str = ""  # the payer's country, when the declaration names one
    # (line, HS6, USD/kg) of the controlled lines, for a party's own price history
    priced: tuple[tuple[int, str, float], ...] = field(default=())

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict) -> EntityEvent:
        data = dict(data)
        for name in ("counterparties", "countries", "hubs", "chapters"):
            if name in data:
                data[name] = tuple(data[name])
        for name in ("unit_values", "priced"):
            if name in data:
                data[name] = tuple(map(tuple, data[name]))
        return cls(**data)


def party_key(role: str, party: Party) -> str:
    """Party id when there is one, else the normalised name: "Co., Ltd." or not, one key."""
    who = (
        f"id:{party.id}"
        if party.id
        else f"name:{names.normalise(party.name) or party.name.casefold()}"
    )
    return f"party:{role}:{party.country}:{who}"


def address_key(party: Party) -> str | None:
    if not party.address:
        return None
    return f"address:{party.country}:{names.normalise(party.address)}"


def document_key(kind: str, issuing_country: str, number: str) -> str | None:
    normalised = document_number(number)
    return f"doc:{kind}:{issuing_country}:{normalised}" if normalised else None


def goods_key(hs_code: str, description: str) -> str:
    """Identical goods as customs valuation compares them: the same HS6 code declared under
    the same description (case, punctuation and spacing aside)."""
    words = " ".join(_WORD.findall(description.casefold()))
    digest = hashlib.sha256(words.encode()).hexdigest()[:16]
    return f"goods:{hs_code[:6]}:{digest}"


def route_of(d: Declaration) -> tuple[str, ...]:
    r = d.route
    path = [r.origin_country, *r.transit_countries, r.destination_country]
    if r.final_destination_country and r.final_destination_country != r.destination_country:
        path.append(r.final_destination_country)
    return tuple(path)


def usd_cents(d_amount: Decimal, currency: str, policy: Policy) -> int | None:
    rate = policy.document.fx_to_usd.get(currency)
    return None if rate is None else int(d_amount * Decimal(str(rate)) * 100)


def unit_value_bucket(usd_per_kg: float) -> int:
    return math.floor(math.log10(max(usd_per_kg, 1e-6)) / UNIT_VALUE_STEP)


def bucket_value(bucket: int) -> float:
    """The middle of a unit-value bucket, USD/kg."""
    return 10 ** ((bucket + 0.5) * UNIT_VALUE_STEP)


def scatter(d: Declaration, policy: Policy) -> list[EntityEvent]:
    """Every entity event of one declaration, in a fixed order, one per entity."""
    events = _events(d, policy)
    unique: dict[str, EntityEvent] = {}
    for e in events:
        unique.setdefault(e.key, e)  # e.g. consignee and end user at one address
    return list(unique.values())


def _events(d: Declaration, policy: Policy) -> list[EntityEvent]:
    catalogue = policy.catalogue
    at = int(d.declared_at.timestamp())
    route = route_of(d)
    route_text = ">".join(route)
    parties = [(role, p) for role, p in d.parties.named() if role in PARTY_ROLES_WITH_HISTORY]
    keys = {role: party_key(role, p) for role, p in parties}
    chapters = tuple(sorted({item.hs_code[:2] for item in d.items}))
    groups = {
        item.line: group for item in d.items if (group := catalogue.controlled_group(item.hs_code))
    }
    controlled = bool(groups)
    mass_g = sum(round(item.net_mass_kg * 1000) for item in d.items)
    controlled_mass_g = sum(round(i.net_mass_kg * 1000) for i in d.items if i.line in groups)
    values = [usd_cents(i.value.amount, i.value.currency, policy) for i in d.items]
    value_cents = sum(v for v in values if v is not None)
    hubs = tuple(sorted({c for g in groups.values() for c in route[1:] if c in g.hubs}))
    priced = tuple(
        (item.line, item.hs_code[:6], round(cents / 100 / item.net_mass_kg, 4))
        for item, cents in zip(d.items, values, strict=True)
        if item.line in groups and cents is not None and cents > 0
    )
    payer = d.payment.payer_country if d.payment is not None else ""
    common = {"declaration_id": d.declaration_id, "declared_at": at}
    events: list[EntityEvent] = []

    for role, party in parties:
        other_side = "consignee" if role == "exporter" else "exporter"
        events.append(
            EntityEvent(
                key=keys[role],
                kind=Kind.PARTY,
                role=role,
                label=party.name,
                counterparties=(keys[other_side],) if other_side in keys else (),
                route=route_text,
                countries=tuple(sorted(set(route))),
                hubs=hubs,
                chapters=chapters,
                controlled=controlled,
                mass_g=mass_g,
                controlled_mass_g=controlled_mass_g,
                value_cents=value_cents,
                payer=payer,
                priced=priced if role in ("exporter", "consignee") else (),
                **common,
            )
        )
    events.append(
        EntityEvent(
            key=f"lane:{route_text}",
            kind=Kind.LANE,
            role=Kind.LANE,
            label=route_text,
            counterparties=(keys["exporter"],),
            chapters=chapters,
            controlled=controlled,
            mass_g=mass_g,
            value_cents=value_cents,
            **common,
        )
    )
    by_hs6: dict[str, list[tuple[int, float]]] = {}
    for item, cents in zip(d.items, values, strict=True):
        line_values = by_hs6.setdefault(item.hs_code[:6], [])
        if cents is not None and cents > 0:
            line_values.append((item.line, cents / 100 / item.net_mass_kg))
    for hs6, unit_values in sorted(by_hs6.items()):
        events.append(
            EntityEvent(
                key=f"hs6:{hs6}",
                kind=Kind.HS6,
                role=Kind.HS6,
                label=hs6,
                unit_values=tuple(unit_values),
                **common,
            )
        )
    # Identical goods: the same HS6 under the same description, whose prices are far
    # narrower than the code's (a GPU accelerator and a microcontroller share HS 854231).
    by_goods: dict[str, tuple[str, list[tuple[int, float]]]] = {}
    for item, cents in zip(d.items, values, strict=True):
        label, line_values = by_goods.setdefault(
            goods_key(item.hs_code, item.description),
            (f"{item.hs_code[:6]} {item.description[:80]}", []),
        )
        if cents is not None and cents > 0:
            line_values.append((item.line, cents / 100 / item.net_mass_kg))
    for key, (label, unit_values) in sorted(by_goods.items()):
        events.append(
            EntityEvent(
                key=key,
                kind=Kind.GOODS,
                role=Kind.GOODS,
                label=label,
                unit_values=tuple(unit_values),
                **common,
            )
        )
    # Document numbers: which declarations, exporters and consignees quoted each before. A
    # licence quoted on an item line counts as that licence, issued in the goods' origin.
    documents = [
        (doc.type.value, doc.issuing_country, doc.number)
        for doc in d.documents
        if doc.type in TRACKED_DOCUMENTS
    ] + [
        (DocumentType.EXPORT_LICENCE.value, item.origin_country, item.licence_ref)
        for item in d.items
        if item.licence_ref
    ]
    for kind, country, number in documents:
        if (key := document_key(kind, country, number)) is None:
            continue
        events.append(
            EntityEvent(
                key=key,
                kind=Kind.DOCUMENT,
                role=Kind.DOCUMENT,
                label=f"{kind.replace('_', ' ')} {number} ({country})",
                counterparties=(keys["exporter"], keys["consignee"]),
                **common,
            )
        )
    for role in ("consignee", "end_user"):
        party = getattr(d.parties, role)
        if party is not None and (key := address_key(party)):
            events.append(
                EntityEvent(
                    key=key,
                    kind=Kind.ADDRESS,
                    role=f"{role}_address",
                    label=party.address or "",
                    counterparties=(keys[role],),
                    **common,
                )
            )
    # Countries the goods pass through: transits, and the discharge country when the goods
    # are declared onward from it. Hub countries of the group count even as destinations.
    intermediaries = set(d.route.transit_countries)
    final = d.route.final_destination_country
    if final and final != d.route.destination_country:
        intermediaries.add(d.route.destination_country)
    for group in sorted({g.key: g for g in groups.values()}.values(), key=lambda g: g.key):
        line_mass = sum(round(i.net_mass_kg * 1000) for i in d.items if groups.get(i.line) is group)
        for country in sorted(intermediaries | (set(route[1:]) & group.hubs)):
            if country == d.route.origin_country:
                continue
            events.append(
                EntityEvent(
                    key=f"flow:{group.key}:{country}",
                    kind=Kind.FLOW,
                    role=Kind.FLOW,
                    label=f"{group.title} via {country}",
                    controlled=True,
                    mass_g=line_mass,
                    controlled_mass_g=line_mass,
                    counterparties=(keys["exporter"],),
                    **common,
                )
            )
    return events
