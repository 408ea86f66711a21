"""History red flags: change against what each counterparty, route and product did before.

Each reads the point-in-time features of one entity (its history before this declaration)
and says in its evidence what it compared against. Without history (stateless screening)
they stay quiet.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from screener.core.indicators.registry import Finding, NoParams, Params, indicator

if TYPE_CHECKING:
    from screener.core.context import Context


DAY = 86_400
HISTORY_DAYS = 90  # day buckets kept per entity


def _party_name(key: str) -> str:
    """A readable name from a party key ("party:consignee:TH:name:siam trading")."""
    return key.split(":", 4)[-1]


def _controlled_chapters(ctx: Context) -> list[str]:
    return sorted({line.item.hs_code[:2] for line in ctx.controlled})


class NewPartyParams(Params):
    roles: list[str] = ["consignee", "end_user"]
    # A party first seen at most this many days before still counts as new: a shell's second
    # lot, two days after its first, is no better known (0: its first declaration only).
    new_for_days: float = Field(0, ge=0)


def _new_since(f: dict[str, Any], at: int, params: NewPartyParams) -> float | None:
    """Days since the party was first seen, if it still counts as new (0 for a first)."""
    if f["prior_declarations"] == 0:
        return 0.0
    days = (at - f["first_seen"]) / DAY
    return days if days <= params.new_for_days else None


@indicator(
    "NEW_COUNTERPARTY", "First-seen consignee or end user of controlled goods", NewPartyParams
)
def new_counterparty(ctx: Context, params: NewPartyParams) -> Finding | None:
    if ctx.history is None or not ctx.controlled:
        return None
    at = int(ctx.declaration.declared_at.timestamp())
    new = [
        (f, days)
        for role in params.roles
        if (f := ctx.history.role(role)) and (days := _new_since(f, at, params)) is not None
    ]
    if not new:
        return None
    return Finding(
        evidence="; ".join(
            f"{f['role']} {f['label']!r} "
            + (
                "appears for the first time"
                if f["prior_declarations"] == 0
                else f"was first seen {days:.1f} days before, on {f['prior_declarations']} "
                "earlier declaration(s)"
            )
            for f, days in new
        )
        + ", receiving controlled goods",
        facts={
            "parties": [
                {
                    "role": f["role"],
                    "name": f["label"],
                    "prior_declarations": f["prior_declarations"],
                    "days_known": round(days, 2),
                }
                for f, days in new
            ]
        },
    )


class EstablishedParams(Params):
    min_prior_declarations: int = Field(5, ge=1)


def _established(ctx: Context, role: str, params: EstablishedParams) -> dict[str, Any] | None:
    """The party's features when it ships controlled goods and has enough history to judge."""
    party = ctx.history.role(role) if ctx.history and ctx.controlled else None
    if party is None or party["prior_declarations"] < params.min_prior_declarations:
        return None
    return party


@indicator(
    "EXPORTER_NEW_ROUTE",
    "Exporter's first indirect route for controlled goods",
    EstablishedParams,
)
def exporter_new_route(ctx: Context, params: EstablishedParams) -> Finding | None:
    exporter = _established(ctx, "exporter", params)
    if exporter is None or exporter["route_seen"]:
        return None
    if exporter["route"].count(">") < 2:
        return None  # a new direct route is ordinary growth; a new indirect one is the red flag
    n = exporter["prior_declarations"]
    return Finding(
        evidence=f"first of {n + 1} declarations of exporter {exporter['label']!r} to use route "
        f"{exporter['route'].replace('>', ' > ')} "
        f"(it used {exporter['distinct_routes']} other route(s))",
        facts={
            "route": exporter["route"],
            "prior_declarations": n,
            "distinct_routes": exporter["distinct_routes"],
        },
    )


@indicator(
    "EXPORTER_NEW_HUB", "Exporter's first controlled shipment via this hub", EstablishedParams
)
def exporter_new_hub(ctx: Context, params: EstablishedParams) -> Finding | None:
    exporter = _established(ctx, "exporter", params)
    if exporter is None:
        return None
    new_hubs = sorted(h for h, count in exporter["hub_counts"].items() if count == 0)
    if not new_hubs:
        return None
    n = exporter["prior_declarations"]
    return Finding(
        evidence=f"first of {n + 1} declarations of exporter {exporter['label']!r} to route "
        f"controlled goods via {', '.join(new_hubs)}",
        facts={"hubs": new_hubs, "prior_declarations": n},
    )


class RareLaneParams(Params):
    min_prior_declarations: int = Field(20, ge=1)
    max_share: float = Field(0.01, ge=0, le=1)


@indicator(
    "RARE_LANE_FOR_CHAPTER", "Route rarely or never used for this HS chapter", RareLaneParams
)
def rare_lane(ctx: Context, params: RareLaneParams) -> Finding | None:
    lanes = ctx.history.kind("lane") if ctx.history and ctx.controlled else []
    if not lanes or lanes[0]["prior_declarations"] < params.min_prior_declarations:
        return None
    lane, n = lanes[0], lanes[0]["prior_declarations"]
    rare = [
        c
        for c in _controlled_chapters(ctx)
        if lane["chapter_counts"].get(c, 0) / n <= params.max_share
    ]
    if not rare:
        return None
    counts = ", ".join(f"{lane['chapter_counts'].get(c, 0)} in HS chapter {c}" for c in rare)
    return Finding(
        evidence=f"route {lane['label'].replace('>', ' > ')} carried {counts} "
        f"of its {n} earlier declarations",
        facts={
            "route": lane["label"],
            "prior_declarations": n,
            "chapter_counts": {c: lane["chapter_counts"].get(c, 0) for c in rare},
        },
    )


@indicator(
    "CONSIGNEE_NEW_CHAPTER",
    "Consignee receives goods outside its line of business",
    EstablishedParams,
)
def consignee_new_chapter(ctx: Context, params: EstablishedParams) -> Finding | None:
    consignee = _established(ctx, "consignee", params)
    if consignee is None:
        return None
    new = [c for c in _controlled_chapters(ctx) if consignee["chapter_counts"].get(c, 0) == 0]
    if not new:
        return None
    n = consignee["prior_declarations"]
    return Finding(
        evidence=f"consignee {consignee['label']!r} received no HS chapter {', '.join(new)} "
        f"goods in {n} earlier declarations ({consignee['distinct_chapters']} other chapter(s))",
        facts={"chapters": new, "prior_declarations": n},
    )


@indicator("NEW_EXPORTER", "First-seen exporter of controlled goods")
def new_exporter(ctx: Context, params: NoParams) -> Finding | None:
    """An exporter never seen before shipping controlled goods: a trading company set up for
    the deal has no record of controlled exports, a licence history or a usual buyer."""
    exporter = ctx.history.role("exporter") if ctx.history and ctx.controlled else None
    if exporter is None or exporter["prior_declarations"] > 0:
        return None
    groups = sorted({line.group.title for line in ctx.controlled})
    return Finding(
        evidence=f"exporter {exporter['label']!r} appears for the first time, shipping "
        f"controlled goods ({', '.join(groups)})",
        facts={"name": exporter["label"], "groups": groups},
    )


class LineOfBusinessParams(Params):
    min_prior_declarations: int = Field(5, ge=1)
    max_share: float = Field(0.05, ge=0, lt=1)  # of its earlier declarations, at most


@indicator(
    "EXPORTER_NEW_CHAPTER",
    "Exporter ships goods outside its line of business",
    LineOfBusinessParams,
)
def exporter_new_chapter(ctx: Context, params: LineOfBusinessParams) -> Finding | None:
    """An exporter with a history declares goods of an HS chapter it never or hardly ever
    shipped: a rare-earth smelter exporting "ceramic tiles" or "solder paste" is what the
    paperwork says, not what its business makes. Any goods count, controlled or not, since
    the misdeclared ones are declared as uncontrolled."""
    exporter = ctx.history.role("exporter") if ctx.history else None
    if exporter is None or exporter["prior_declarations"] < params.min_prior_declarations:
        return None
    n, counts = exporter["prior_declarations"], exporter["chapter_counts"]
    chapters = sorted({item.hs_code[:2] for item in ctx.declaration.items})
    rare = [c for c in chapters if counts.get(c, 0) <= params.max_share * n]
    if not rare:
        return None
    usual = ", ".join(f"{c} ({k})" for c, k in exporter["top_chapters"])
    return Finding(
        evidence=f"exporter {exporter['label']!r} declared "
        + ", ".join(f"HS chapter {c} on {counts.get(c, 0)}" for c in rare)
        + f" of its {n} earlier declarations (mostly chapters {usual})",
        facts={
            "chapters": {c: counts.get(c, 0) for c in rare},
            "prior_declarations": n,
            "usual_chapters": dict(exporter["top_chapters"]),
        },
    )


class SurgeParams(Params):
    recent_days: Literal[1, 7, 30] = 7
    min_recent: int = Field(5, ge=1)
    factor: float = Field(4.0, gt=1)
    # A surge is a change against a usual rate: a flow seen on fewer days of the baseline
    # period has none yet. Every flow is that young in a deployment's first weeks, and a new
    # flow's parties are what the novelty indicators speak of.
    min_baseline_days: int = Field(0, ge=0)


def _day(epoch_seconds: int) -> int:
    return epoch_seconds // DAY


def _observed_days(entity: dict[str, Any], today: int, recent_days: int) -> int:
    """Days of the baseline period (the 90 days before the recent window) in which the entity
    was already known: a flow or party first seen three weeks ago has three weeks of
    baseline, not 83 days of which 62 are empty."""
    first = entity["first_seen"]
    if first is None:
        return 0
    return max(0, min(HISTORY_DAYS - recent_days, today - recent_days + 1 - _day(first)))


def _usual(entity: dict[str, Any], today: int, days: int, field: int) -> tuple[float, int]:
    """(usual count per `days` days over the observed baseline, baseline days observed)."""
    observed = _observed_days(entity, today, days)
    before = entity["windows"]["90"][field] - entity["windows"][str(days)][field]
    return (before / observed * days if observed else 0.0), observed


@indicator("HUB_SURGE", "Surge of a controlled group through an intermediary country", SurgeParams)
def hub_surge(ctx: Context, params: SurgeParams) -> Finding | None:
    surges: list[dict[str, Any]] = []
    today = _day(int(ctx.declaration.declared_at.timestamp()))
    for flow in ctx.history.kind("flow") if ctx.history else []:
        recent = flow["windows"][str(params.recent_days)][0] + 1  # this declaration included
        baseline, observed = _usual(flow, today, params.recent_days, 0)
        if observed < params.min_baseline_days:
            continue
        if recent >= params.min_recent and recent >= params.factor * max(baseline, 1.0):
            surges.append(
                {
                    "flow": flow["label"],
                    "recent": recent,
                    "baseline": round(baseline, 2),
                    "baseline_days": observed,
                }
            )
    if not surges:
        return None
    return Finding(
        evidence="; ".join(
            f"{s['flow']}: {s['recent']} shipments in the last {params.recent_days} days "
            + (
                f"against {s['baseline']} per {params.recent_days} days over the prior "
                f"{s['baseline_days']} days of its history"
                if s["baseline_days"]
                else "with no history before them"
            )
            for s in surges
        ),
        facts={"surges": surges},
    )


class StructuringParams(Params):
    roles: list[str] = ["exporter", "consignee"]
    window_days: Literal[1, 7, 30] = 7
    min_shipments: int = Field(5, ge=2)
    max_average_kg: float = Field(100, gt=0)
    # ... and at least this many times the party's usual number of controlled shipments per
    # window (over the days of history it has): small lots as a habit are not a split.
    factor: float = Field(2.0, ge=1)
    # ... and, for a party with a history, so many that its usual rate would bring them by
    # chance at most this often (Poisson): a party used to one or two lots a week has three
    # or four in some week, and one in five of its weeks is no red flag.
    max_chance: float = Field(0.02, gt=0, le=1)


def _chance_of_at_least(k: int, rate: float) -> float:
    """P(N >= k) for N ~ Poisson(rate)."""
    term, below = math.exp(-rate), 0.0
    for i in range(k):
        below += term
        term *= rate / (i + 1)
    return max(0.0, 1.0 - below)


@indicator("STRUCTURING", "Many small controlled shipments within a window", StructuringParams)
def structuring(ctx: Context, params: StructuringParams) -> Finding | None:
    if ctx.history is None or not ctx.controlled:
        return None
    mass_g = sum(round(line.item.net_mass_kg * 1000) for line in ctx.controlled)
    today = _day(int(ctx.declaration.declared_at.timestamp()))
    found = []
    for role in params.roles:
        party = ctx.history.role(role)
        if party is None:
            continue
        _, controlled, _, controlled_mass = party["windows"][str(params.window_days)]
        count, average_kg = controlled + 1, (controlled_mass + mass_g) / (controlled + 1) / 1000
        usual, observed = _usual(party, today, params.window_days, 1)
        # This shipment is given; the question is how often the others in its window come
        # at the party's usual rate. Without a baseline there is no rate to ask it of.
        chance = _chance_of_at_least(count - 1, usual) if observed else None
        if (
            count >= params.min_shipments
            and average_kg <= params.max_average_kg
            and count >= params.factor * max(usual, 1.0)
            and (chance is None or chance <= params.max_chance)
        ):
            found.append(
                {
                    "role": role,
                    "name": party["label"],
                    "shipments": count,
                    "average_kg": round(average_kg, 1),
                    "usual": round(usual, 2),
                    "baseline_days": observed,
                    "chance": None if chance is None else round(chance, 5),
                }
            )
    if not found:
        return None
    return Finding(
        evidence="; ".join(
            f"{f['role']} {f['name']!r}: {f['shipments']} controlled shipments in "
            f"{params.window_days} days averaging {f['average_kg']} kg, "
            + (
                f"against {f['usual']} per {params.window_days} days over the prior "
                f"{f['baseline_days']} days{_chance_words(f['chance'], f['usual'])}"
                if f["baseline_days"]
                else "with no history before them"
            )
            for f in found
        ),
        facts={"parties": found, "window_days": params.window_days},
    )


def _chance_words(chance: float, rate: float) -> str:
    if rate == 0:
        return ""  # no controlled shipments before: no rate that could bring them
    odds = f"under 1 in {1000:,}" if chance < 0.001 else f"1 in {round(1 / chance):,}"
    return f" ({odds} at that rate)"


class SharedAddressParams(Params):
    min_other_consignees: int = Field(3, ge=1)


@indicator(
    "SHARED_ADDRESS", "Consignee shares its address with other consignees", SharedAddressParams
)
def shared_address(ctx: Context, params: SharedAddressParams) -> Finding | None:
    found = []
    for address in ctx.history.kind("address") if ctx.history else []:
        others = address["distinct_counterparties"] - (0 if address["new_counterparties"] else 1)
        if others >= params.min_other_consignees:
            found.append((address, others))
    if not found:
        return None
    return Finding(
        evidence="; ".join(
            f"{a['label']!r} is also the address of {n} other consignee(s), e.g. "
            + ", ".join(repr(_party_name(k)) for k in a["other_counterparties"][:3])
            for a, n in found
        ),
        facts={"addresses": [{"address": a["label"], "other_consignees": n} for a, n in found]},
    )


class DocumentParams(Params):
    # Documents one exporter and consignee may quote on many shipments (a licence covers
    # several): only their use by other parties counts.
    reusable_by_same_parties: list[str] = ["export_licence"]
    same_parties_strength: float = Field(0.5, ge=0, le=1)  # another shipment, same parties


@indicator(
    "DOCUMENT_REUSED",
    "Document number already quoted on another declaration",
    DocumentParams,
)
def document_reused(ctx: Context, params: DocumentParams) -> Finding | None:
    """A bill of lading, air waybill or licence number quoted before. A transport document
    belongs to one shipment; a licence to the exporter and consignee it was granted for,
    taken to be the parties of its first quote. Copied paperwork shows as the same number
    with other parties (or, for one-shipment documents, on a second shipment)."""
    exporter = ctx.history.role("exporter") if ctx.history else None
    consignee = ctx.history.role("consignee") if ctx.history else None
    if exporter is None or consignee is None:
        return None
    found = []
    for doc in ctx.history.kind("document"):
        if doc["prior_declarations"] == 0:
            continue
        kind = doc["key"].split(":", 2)[1]
        first = doc["first_parties"]
        other_parties = exporter["key"] not in first or consignee["key"] not in first
        if not other_parties and kind in params.reusable_by_same_parties:
            continue
        found.append(
            {
                "document": doc["label"],
                "type": kind,
                "prior_declarations": doc["prior_declarations"],
                "first_seen": doc["first_seen"],
                "first_parties": [{"role": k.split(":")[1], "name": _party_name(k)} for k in first],
                "other_parties": other_parties,
            }
        )
    if not found:
        return None
    d = ctx.declaration
    here = f"exporter {d.parties.exporter.name!r} for consignee {d.parties.consignee.name!r}"
    return Finding(
        evidence="; ".join(_reuse_text(f, here) for f in found),
        facts={"documents": found},
        strength=max(1.0 if f["other_parties"] else params.same_parties_strength for f in found),
    )


def _reuse_text(f: dict[str, Any], here: str) -> str:
    since = datetime.fromtimestamp(f["first_seen"], UTC).date().isoformat()
    by = " for ".join(f"{p['role']} {p['name']!r}" for p in f["first_parties"])
    text = f"{f['document']} was first quoted on {since}" + (f" by {by}" if by else "")
    quoted = f"quoted on {f['prior_declarations']} earlier declaration(s)"
    if not f["other_parties"]:
        return f"{text}; {quoted}, by the same exporter and consignee, and again here"
    return f"{text}; {quoted}, and here by {here}"


class PayerParams(Params):
    min_paid: int = Field(3, ge=1)  # earlier declarations paid from there that make it usual


@indicator(
    "PAYER_NOT_ESTABLISHED",
    "Third-country payer not established for this consignee",
    PayerParams,
)
def payer_not_established(ctx: Context, params: PayerParams) -> Finding | None:
    """Controlled goods paid from a third country that the consignee's own history does not
    show as its payer: it was paid from elsewhere before, or from there only once or twice.
    A parent company or treasury centre paying for every shipment is routine; a buyer with
    history suddenly paid from Hong Kong, or a new one paid from there, is not."""
    d = ctx.declaration
    consignee = ctx.history.role("consignee") if ctx.history and ctx.controlled else None
    if consignee is None or d.payment is None or consignee["prior_declarations"] == 0:
        return None  # a first-seen consignee is NEW_COUNTERPARTY's case
    payer = d.payment.payer_country
    if payer in {d.parties.consignee.country, *ctx.destinations}:
        return None
    counts = consignee["payer_counts"]
    paid, n, name = counts.get(payer, 0), consignee["prior_declarations"], consignee["label"]
    if paid >= params.min_paid:
        return None
    others = sorted(((c, k) for c, k in counts.items() if c != payer), key=lambda x: (-x[1], x[0]))
    otherwise = ", ".join(f"{c} {k}" for c, k in others)
    return Finding(
        evidence=f"paid from {payer}; consignee {name!r} was paid from {payer} on {paid} of its "
        f"{n} earlier declaration(s)" + (f" (otherwise from {otherwise})" if otherwise else ""),
        facts={
            "payer_country": payer,
            "paid_from_there": paid,
            "prior_declarations": n,
            "payer_counts": counts,
        },
    )


ConfirmedRole = Literal[
    "exporter",
    "consignee",
    "notify_party",
    "freight_forwarder",
    "end_user",
    "consignee_address",
    "end_user_address",
]


class ConfirmedParams(Params):
    # The buyer's side of a diversion: the parties that received the goods, their addresses,
    # and the shipment's transport document. Diverters buy from honest manufacturers through
    # the big forwarders, so the exporter and the forwarder are left out, and so is the export
    # licence, the exporter's for many shipments: with them, the alerts the analysts had
    # confirmed (`evaluate --review-days 3`) took 37 % of ordinary trade over the threshold.
    # Lanes, HS codes, goods and flows: honest traders share them.
    roles: list[ConfirmedRole] = [
        "consignee",
        "end_user",
        "notify_party",
        "consignee_address",
        "end_user_address",
    ]
    documents: list[Literal["bill_of_lading", "air_waybill", "export_licence"]] = [
        "bill_of_lading",
        "air_waybill",
    ]
    # Until analysts have cleared this many alerts of the entity's declarations after the
    # diversion: its next shipments looked at and found clean, it is not drawn again.
    until_cleared: int = Field(2, ge=1)


def _buyer_side(f: dict, params: ConfirmedParams) -> bool:
    if f["kind"] == "document":  # keys "doc:<type>:<country>:<number>"
        return f["key"].split(":", 2)[1] in params.documents
    return f["role"] in params.roles


@indicator(
    "CONFIRMED_DIVERSION_BEFORE",
    "Buyer, address or transport document of a diversion an analyst confirmed",
    ConfirmedParams,
)
def confirmed_diversion_before(ctx: Context, params: ConfirmedParams) -> Finding | None:
    """An analyst confirmed an earlier alert on a declaration of this consignee, end user or
    notify party, its address, or its bill of lading (a disposition `true_hit`): what it
    ships next is looked at, whatever the goods."""
    if ctx.history is None:
        return None
    found = [
        (f, d)
        for f in ctx.history.features
        if (d := f.get("dispositions"))
        and d["confirmed"]
        and d.get("cleared_since", 0) < params.until_cleared
        and _buyer_side(f, params)
    ]
    if not found:
        return None

    def on(at: int | None) -> str:
        return datetime.fromtimestamp(at, UTC).date().isoformat() if at is not None else "?"

    def named(d: dict) -> str:
        ids = d.get("confirmed_declarations") or []
        return f" ({', '.join(ids)})" if ids else ""

    return Finding(
        evidence="; ".join(
            f"{f['role'].replace('_', ' ')} {f['label']!r} was on {d['confirmed']} declaration(s) "
            f"confirmed as diversion{named(d)}, the latest declared on {on(d['last_confirmed_at'])}"
            + (f", {n} alert(s) after it cleared" if (n := d.get("cleared_since", 0)) else "")
            for f, d in found
        ),
        facts={
            "entities": [
                {
                    "kind": f["kind"],
                    "role": f["role"],
                    "label": f["label"],
                    "confirmed": d["confirmed"],
                    "cleared": d["cleared"],
                    "cleared_since": d.get("cleared_since", 0),
                    "confirmed_declarations": d.get("confirmed_declarations", []),
                    "last_confirmed_on": on(d["last_confirmed_at"]),
                }
                for f, d in found
            ]
        },
    )
