"""History red flags: change against what each counterparty, route and product did before.

Each reads the point-in-time features of one entity (its history before this declaration)
and says in its evidence what it compared against. Without history (stateless screening)
they stay quiet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from screener.core.indicators.registry import Finding, indicator

if TYPE_CHECKING:
    from screener.core.context import Context


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _party_name(key: str) -> str:
    """A readable name from a party key ("party:consignee:TH:name:siam trading")."""
    return key.split(":", 4)[-1]


def _controlled_chapters(ctx: Context) -> list[str]:
    return sorted({line.item.hs_code[:2] for line in ctx.controlled})


class NewPartyParams(_Params):
    roles: list[str] = ["consignee", "end_user"]


@indicator(
    "NEW_COUNTERPARTY", "First-seen consignee or end user of controlled goods", NewPartyParams
)
def new_counterparty(ctx: Context, params: NewPartyParams) -> Finding | None:
    if ctx.history is None or not ctx.controlled:
        return None
    new = [
        f for role in params.roles if (f := ctx.history.role(role)) and f["prior_declarations"] == 0
    ]
    if not new:
        return None
    return Finding(
        evidence="; ".join(f"{f['role']} {f['label']!r} appears for the first time" for f in new)
        + ", receiving controlled goods",
        facts={"parties": [{"role": f["role"], "name": f["label"]} for f in new]},
    )


class EstablishedParams(_Params):
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


class RareLaneParams(_Params):
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


class SurgeParams(_Params):
    recent_days: Literal[1, 7, 30] = 7
    min_recent: int = Field(5, ge=1)
    factor: float = Field(4.0, gt=1)


@indicator("HUB_SURGE", "Surge of a controlled group through an intermediary country", SurgeParams)
def hub_surge(ctx: Context, params: SurgeParams) -> Finding | None:
    surges: list[dict[str, Any]] = []
    for flow in ctx.history.kind("flow") if ctx.history else []:
        recent = flow["windows"][str(params.recent_days)][0] + 1  # this declaration included
        baseline_days = 90 - params.recent_days
        baseline = (flow["windows"]["90"][0] - (recent - 1)) / baseline_days * params.recent_days
        if recent >= params.min_recent and recent >= params.factor * max(baseline, 1.0):
            surges.append({"flow": flow["label"], "recent": recent, "baseline": round(baseline, 2)})
    if not surges:
        return None
    return Finding(
        evidence="; ".join(
            f"{s['flow']}: {s['recent']} shipments in the last {params.recent_days} days "
            f"against {s['baseline']} per {params.recent_days} days over the prior "
            f"{90 - params.recent_days}"
            for s in surges
        ),
        facts={"surges": surges},
    )


class StructuringParams(_Params):
    roles: list[str] = ["exporter", "consignee"]
    window_days: Literal[1, 7, 30, 90] = 7
    min_shipments: int = Field(5, ge=2)
    max_average_kg: float = Field(100, gt=0)


@indicator("STRUCTURING", "Many small controlled shipments within a window", StructuringParams)
def structuring(ctx: Context, params: StructuringParams) -> Finding | None:
    if ctx.history is None or not ctx.controlled:
        return None
    mass_g = sum(round(line.item.net_mass_kg * 1000) for line in ctx.controlled)
    found = []
    for role in params.roles:
        party = ctx.history.role(role)
        if party is None:
            continue
        _, controlled, _, controlled_mass = party["windows"][str(params.window_days)]
        count, average_kg = controlled + 1, (controlled_mass + mass_g) / (controlled + 1) / 1000
        if count >= params.min_shipments and average_kg <= params.max_average_kg:
            found.append(
                {
                    "role": role,
                    "name": party["label"],
                    "shipments": count,
                    "average_kg": round(average_kg, 1),
                }
            )
    if not found:
        return None
    return Finding(
        evidence="; ".join(
            f"{f['role']} {f['name']!r}: {f['shipments']} controlled shipments in "
            f"{params.window_days} days averaging {f['average_kg']} kg"
            for f in found
        ),
        facts={"parties": found, "window_days": params.window_days},
    )


class SharedAddressParams(_Params):
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
