"""Declarations as the JSON a logistics platform streams (contract v1), built from the world.

Builders return plain dicts; the stream assembler gives each its declaration id (a running
number per customs office country, type and year) once the whole stream is in time order.
A declaration amended after it was filed is sent twice, as the contract asks: its first
version, then the amended one under the same id (`amends`, `first_version`).
"""

from __future__ import annotations

import random
import zlib
from datetime import datetime, timedelta
from typing import Any

import orjson

from screener.sim.catalogue import COUNTRIES, FX_TO_USD, ZERO_DECIMAL_CURRENCIES, Goods
from screener.sim.world import PAYMENT_METHODS, Account, Company, Lane

Raw = dict[str, Any]

SHIPPING_LINES = ("MAEU", "COSU", "MEDU", "CMDU", "ONEY", "HLCU", "EGLV")  # B/L prefixes
AIRLINE_PREFIXES = ("176", "160", "618", "297", "020", "180", "784", "695")  # AWB prefixes
ROUTINE_AMENDMENTS = ("route.port_of_discharge", "items.1.quantity", "payment.method")
CLERICAL_SLIPS = 0.003  # ordinary declarations with a keying error in one line
# Licensed declarations filed without the licence itself (an omission, or an electronic
# licence the filer did not list): the honest cases LICENCE_NOT_FILED also meets.
LICENCE_UNFILED = 0.03  # a stable share, by invoice number: no draw moves the rest
# On an amended declaration until the stream assembler takes it: (when, the first version).
AMENDS = "__amends__"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def day(moment: datetime, offset_days: int = 0) -> str:
    return (moment + timedelta(days=offset_days)).date().isoformat()


def party(company: Company) -> Raw:
    return {
        "id": company.registry_id,
        "name": company.name,
        "country": company.country,
        "address": company.address,
    }


def route(lane: Lane, *, dispatch: str | None = None, final: str | None = None) -> Raw:
    return {
        "origin_country": lane.origin,
        "dispatch_country": dispatch or lane.origin,
        "port_of_loading": lane.loading,
        "transit_countries": list(lane.transit),
        "port_of_discharge": lane.discharge,
        "destination_country": lane.destination,
        "final_destination_country": final,
        "transport_mode": lane.mode,
    }


def money(usd: float, currency: str) -> Raw:
    amount = usd / FX_TO_USD[currency]
    places = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    return {"amount": f"{amount:.{places}f}", "currency": currency}


def item(
    line: int,
    goods: Goods,
    origin: str,
    mass_kg: float,
    usd_per_kg: float,
    currency: str,
    *,
    licence_ref: str | None = None,
    description: str | None = None,
) -> Raw:
    if goods.kg_per_unit:
        quantity = max(1, round(mass_kg / goods.kg_per_unit))
        mass_kg = quantity * goods.kg_per_unit
    else:
        quantity = max(1, round(mass_kg))
        mass_kg = float(quantity)
    return {
        "line": line,
        "hs_code": goods.hs_code,
        "description": description or goods.description,
        "quantity": quantity,
        "quantity_unit": goods.unit,
        "net_mass_kg": round(max(mass_kg, 0.01), 3),
        "value": money(mass_kg * usd_per_kg, currency),
        "origin_country": origin,
        "licence_ref": licence_ref,
    }


def document(kind: str, number: str, country: str, issued: str) -> Raw:
    return {"type": kind, "number": number, "issuing_country": country, "issued_at": issued}


def documents(
    rng: random.Random,
    at: datetime,
    *,
    invoice: str,
    exporter_country: str,
    dispatch: str,
    mode: str,
    origin_certificate: str | None = None,  # issuing country of a certificate of origin
) -> list[Raw]:
    """Commercial invoice and packing list from the exporter, the carrier's transport
    document at dispatch, and a certificate of origin when the buyer asks for one."""
    invoiced = day(at, -rng.randint(1, 6))
    docs = [
        document("commercial_invoice", invoice, exporter_country, invoiced),
        document("packing_list", f"PL-{invoice}", exporter_country, invoiced),
    ]
    if mode == "air":
        serial = rng.randint(1_000_000, 9_999_999)  # IATA: serial + mod-7 check digit
        awb = f"{rng.choice(AIRLINE_PREFIXES)}-{serial:07d}{serial % 7}"
        docs.append(document("air_waybill", awb, dispatch, day(at)))
    elif mode == "road":
        docs.append(document("other", f"CMR-{rng.randint(100_000, 999_999)}", dispatch, day(at)))
    else:
        bill = f"{rng.choice(SHIPPING_LINES)}{rng.randint(100_000_000, 999_999_999)}"
        docs.append(document("bill_of_lading", bill, dispatch, day(at, -rng.randint(0, 2))))
    if origin_certificate is not None:
        number = f"CO-{origin_certificate}-{at.year}-{rng.randint(100_000, 999_999)}"
        docs.append(
            document(
                "certificate_of_origin", number, origin_certificate, day(at, -rng.randint(2, 9))
            )
        )
    return docs


def licence_documents(
    rng: random.Random, at: datetime, licence: str, origin: str, destination: str
) -> list[Raw]:
    return [
        document("export_licence", licence, origin, day(at, -rng.randint(20, 200))),
        document(
            "end_user_certificate",
            f"EUC-{at.year}-{rng.randint(1_000, 9_999)}",
            destination,
            day(at, -rng.randint(30, 220)),
        ),
    ]


def amendment(rng: random.Random, at: datetime, field: str) -> Raw:
    """Made after booking, shortly before the declaration was filed."""
    return {"field": field, "amended_at": iso(at - timedelta(minutes=rng.randint(20, 240)))}


def amends(amended: Raw, first_at: datetime, first: Raw) -> Raw:
    """`amended` is `first`, filed at `first_at`, sent again after its amendments: the
    assembler gives both one declaration id."""
    amended[AMENDS] = (first_at, first)
    return amended


def first_filed(rng: random.Random, amended: Raw, hours: tuple[int, int]) -> datetime:
    """When `amended` was first filed: `hours` (least, most) before the first of its
    amendments, and not before its invoice was issued (a declaration quotes papers that
    exist)."""
    earliest = min(datetime.fromisoformat(a["amended_at"]) for a in amended["amendments"])
    low, high = earliest - timedelta(hours=hours[1]), earliest - timedelta(hours=hours[0])
    for d in amended["documents"]:
        if d["type"] == "commercial_invoice":
            issued = datetime.fromisoformat(d["issued_at"]).replace(tzinfo=earliest.tzinfo)
            low = max(low, min(issued, high))
    return low + timedelta(minutes=rng.randint(0, int((high - low).total_seconds()) // 60))


def as_filed(amended: Raw, at: datetime) -> Raw:
    """A copy of `amended` as filed at `at`: no amendments yet, no papers issued since."""
    first: Raw = orjson.loads(orjson.dumps(amended))
    first["declared_at"] = iso(at)
    first["amendments"] = []
    first["documents"] = [d for d in first["documents"] if d["issued_at"] <= day(at)]
    return first


def first_version(rng: random.Random, amended: Raw) -> tuple[datetime, Raw]:
    """The declaration as filed before its routine amendments: filed hours or days before
    the first of them, with the fields as they were and without the papers issued since."""
    at = first_filed(rng, amended, (1, 48))
    first = as_filed(amended, at)
    for change in amended["amendments"]:
        _undo(rng, first, change["field"])
    return at, first


def _undo(rng: random.Random, first: Raw, field: str) -> None:
    if field == "route.port_of_discharge":
        route = first["route"]
        country = COUNTRIES.get(route["destination_country"])
        ports = country.ports if country else ()
        others = [p for p in ports if p != route["port_of_discharge"]]
        route["port_of_discharge"] = rng.choice(others) if others else None
    elif field == "items.1.quantity":
        line = first["items"][0]
        line["quantity"] = max(1, round(line["quantity"] * rng.uniform(0.8, 1.2)))
    elif field == "payment.method" and first["payment"]:
        methods = [m for m in PAYMENT_METHODS if m != first["payment"]["method"]]
        first["payment"]["method"] = rng.choice(methods)
    elif field == "parties.consignee":  # the address as first keyed, before a correction
        consignee = first["parties"]["consignee"]
        address = consignee["address"]
        consignee["address"] = address.rpartition(",")[0] or address.rpartition(" ")[0] or address


def office_of(lane: Lane, kind: str) -> str:
    """Exports clear where the goods leave, imports where they arrive (road: the border)."""
    if kind == "export":
        return lane.loading or COUNTRIES[lane.origin].ports[0]
    return lane.discharge or COUNTRIES[lane.destination].ports[0]


def declaration(
    at: datetime,
    *,
    kind: str,
    office: str,
    parties: Raw,
    route: Raw,
    items: list[Raw],
    documents: list[Raw],
    payment: Raw | None,
    amendments: list[Raw] | None = None,
) -> Raw:
    return {
        "schema_version": 1,
        "declaration_id": None,  # given in stream order
        "declared_at": iso(at),
        "declaration_type": kind,
        "customs_office": office,
        "parties": parties,
        "route": route,
        "items": items,
        "documents": documents,
        "payment": payment,
        "amendments": amendments or [],
    }


def parties(
    exporter: Company,
    consignee: Company,
    *,
    forwarder: Company | None = None,
    notify: Company | None = None,
    end_user: Company | None = None,
    declarant: Company | None = None,
) -> Raw:
    return {
        "exporter": party(exporter),
        "consignee": party(consignee),
        "notify_party": party(notify) if notify else None,
        "freight_forwarder": party(forwarder) if forwarder else None,
        "end_user": party(end_user) if end_user else None,
        "declarant": party(declarant) if declarant else None,
    }


# --- ordinary trade -------------------------------------------------------------------------


def ordinary(rng: random.Random, account: Account, at: datetime) -> Raw:
    """The next shipment of a trade relationship: its lane, goods and prices, give or take."""
    lane = account.lane
    kind = "export" if lane.mode == "road" or rng.random() < 0.55 else "import"
    lines = [account.goods[0], *(g for g in account.goods[1:] if rng.random() < 0.6)]
    items = [
        item(
            n,
            g,
            lane.origin,
            account.load_kg[g.key] * rng.uniform(0.6, 1.4),
            account.usd_per_kg[g.key] * rng.uniform(0.95, 1.05),
            account.currency,
            licence_ref=account.licence if g.licensed else None,
        )
        for n, g in enumerate(lines, start=1)
    ]
    if rng.random() < CLERICAL_SLIPS:
        slip(rng, items[0])
    invoice = account.next_invoice(at.year)
    docs = documents(
        rng,
        at,
        invoice=invoice,
        exporter_country=account.exporter.country,
        dispatch=lane.origin,
        mode=lane.mode,
        origin_certificate=lane.origin if rng.random() < 0.3 else None,
    )
    if account.licence:
        licence = licence_documents(rng, at, account.licence, lane.origin, lane.destination)
        if zlib.crc32(invoice.encode()) % 1000 >= LICENCE_UNFILED * 1000:
            docs += licence
    amendments = []
    if rng.random() < 0.08:  # routine corrections
        amendments.append(amendment(rng, at, rng.choice(ROUTINE_AMENDMENTS)))
    elif rng.random() < 0.004:  # a consignee's name or address corrected after booking
        amendments.append(amendment(rng, at, "parties.consignee"))
    return declaration(
        at,
        kind=kind,
        office=office_of(lane, kind),
        parties=parties(
            account.exporter,
            account.consignee,
            forwarder=account.forwarder,
            declarant=account.forwarder if kind == "export" else None,
        ),
        route=route(lane),
        items=items,
        documents=docs,
        payment=(
            {"method": account.payment_method, "payer_country": account.payer_country}
            if rng.random() < 0.92
            else None
        ),
        amendments=amendments,
    )


def slip(rng: random.Random, line: Raw) -> None:
    """A keying error real declarations carry: the mass in tonnes where kilograms belong, or
    an amount in the local currency under the invoice's currency code."""
    if rng.random() < 0.5:
        line["net_mass_kg"] = round(max(line["net_mass_kg"] / 1000, 0.01), 3)
    else:
        factor = rng.choice((7.1, 0.14, 150.0))
        amount = float(line["value"]["amount"]) * factor
        places = 0 if line["value"]["currency"] in ZERO_DECIMAL_CURRENCIES else 2
        line["value"]["amount"] = f"{amount:.{places}f}"
