"""Route red flags: controlled goods sent through, to, or onward from a diversion hub."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pydantic import Field

from screener.core.indicators.registry import Finding, NoParams, Params, indicator

if TYPE_CHECKING:
    from screener.core.context import Context


def _hub_lines(ctx: Context, countries: list[str]) -> list[tuple[str, str, str]]:
    """(hs_code, group title, hub) for controlled lines whose group lists one of `countries`
    as a hub, unless the goods originate in that hub (then it is not an intermediary)."""
    return [
        (line.item.hs_code, line.group.title, country)
        for line in ctx.controlled
        for country in countries
        if country in line.group.hubs and country != line.item.origin_country
    ]


def _hub_finding(hits: list[tuple[str, str, str]], where: str) -> Finding | None:
    if not hits:
        return None
    hubs = sorted({hub for _, _, hub in hits})
    groups = sorted({title for _, title, _ in hits})
    codes = sorted({hs for hs, _, _ in hits})
    return Finding(
        evidence=f"{', '.join(groups)} (HS {', '.join(codes)}) {where} {', '.join(hubs)}: "
        f"{'a diversion hub' if len(hubs) == 1 else 'diversion hubs'} for this group",
        facts={"hubs": hubs, "hs_codes": codes, "groups": groups},
    )


class TransitParams(Params):
    # Goods routed through a hub are one red flag, whether the hub is on the way or at the
    # end: when every line through a hub is also destined to a hub of its group, the transit
    # keeps this share of its weight (its evidence stays for the analyst).
    with_hub_destination: float = Field(1.0, ge=0, le=1)


@indicator("CTRL_HUB_TRANSIT", "Controlled goods routed through a diversion hub", TransitParams)
def hub_transit(ctx: Context, params: TransitParams) -> Finding | None:
    lines = _hub_lines(ctx, ctx.declaration.route.transit_countries)
    finding = _hub_finding(lines, "transit")
    if finding is None or params.with_hub_destination == 1:
        return finding
    destined = {hs for hs, _, _ in _hub_lines(ctx, ctx.destinations)}
    if any(hs not in destined for hs, _, _ in lines):
        return finding
    return replace(
        finding,
        evidence=f"{finding.evidence}; destined to a hub as well: one red flag, counted there",
        strength=params.with_hub_destination,
    )


@indicator("CTRL_HUB_DESTINATION", "Controlled goods destined to a diversion hub", NoParams)
def hub_destination(ctx: Context, params: NoParams) -> Finding | None:
    return _hub_finding(_hub_lines(ctx, ctx.destinations), "destined to")


@indicator("CTRL_ONWARD_DESTINATION", "Controlled goods declared for onward shipment", NoParams)
def onward_destination(ctx: Context, params: NoParams) -> Finding | None:
    route = ctx.declaration.route
    final = route.final_destination_country
    if not ctx.controlled or not final or final == route.destination_country:
        return None
    return Finding(
        evidence=f"controlled goods discharged in {route.destination_country} "
        f"but declared for final destination {final}",
        facts={
            "destination_country": route.destination_country,
            "final_destination_country": final,
        },
    )
