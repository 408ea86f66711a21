"""Value red flags: a declared value per kilogram implausible for the declared HS code.

Far too cheap suggests undervaluation or a forged description; far too dear suggests the
goods are not what the code says (antimony declared as zinc). The policy's range always
applies; once an HS6 code has enough history its learned distribution applies too, so a
value can be odd against either. The range keeps a flood of misdeclared goods from teaching
the distribution that they are normal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import Field

from screener.core.indicators.registry import Finding, Params, indicator
from screener.models import Item

if TYPE_CHECKING:
    from screener.core.context import Context


class UnitValueParams(Params):
    tolerance: float = Field(0.5, ge=0, le=10)  # widens the policy range on both sides
    min_observations: int = Field(30, ge=1)  # history needed before it replaces the range
    extreme_share: float = Field(0.99, gt=0.5, le=1)  # share of history the value lies beyond
    min_ratio: float = Field(3.0, ge=1)  # and how far from the median, at least
    # ... or, for a controlled line priced low, this far (undervaluation to stay under the
    # value that draws a licence check); None: as min_ratio
    controlled_min_ratio_below: float | None = Field(None, ge=1)
    # Compare with identical goods first (the HS6 under the same description) once they have
    # min_observations, as customs valuation does; else, or when False, with the whole HS6.
    identical_goods: bool = False


Found = dict[str, Any] | None


def _learned(
    item: Item, rank: dict[str, Any], params: UnitValueParams, controlled: bool, identical: bool
) -> Found:
    v, median, n = rank["usd_per_kg"], rank["median_usd_per_kg"], rank["observations"]
    below_ratio = params.min_ratio
    if controlled and params.controlled_min_ratio_below is not None:
        below_ratio = params.controlled_min_ratio_below
    if rank["share_below"] >= params.extreme_share and v >= params.min_ratio * median:
        side = f"above {rank['share_below']:.0%}"
    elif rank["share_above"] >= params.extreme_share and v * below_ratio <= median:
        side = f"below {rank['share_above']:.0%}"
    else:
        return None
    described = f" described as {item.description[:80]!r}" if identical else ""
    return {
        "basis": "identical goods" if identical else "history",
        "usd_per_kg": v,
        "observations": n,
        "median_usd_per_kg": median,
        "evidence": f"line {item.line} HS {item.hs_code} at {v:,} USD/kg is {side} of {n} earlier "
        f"declarations of HS {item.hs_code[:6]}{described} (median {median:,} USD/kg)",
    }


def _reference(ctx: Context, item: Item, params: UnitValueParams) -> Found:
    reference = ctx.policy.catalogue.unit_value_range(item.hs_code)
    rate = ctx.policy.document.fx_to_usd.get(item.value.currency)
    if reference is None or rate is None:
        return None  # no reference range or no rate: nothing to compare against
    v = round(float(item.value.amount * Decimal(str(rate))) / item.net_mass_kg, 2)
    low = reference.min_usd_per_kg * (1 - params.tolerance)
    high = reference.max_usd_per_kg * (1 + params.tolerance)
    if low <= v <= high:
        return None
    return {
        "basis": "policy range",
        "usd_per_kg": v,
        "expected_min": reference.min_usd_per_kg,
        "expected_max": reference.max_usd_per_kg,
        "reference_prefix": reference.hs_prefix,
        "evidence": f"line {item.line} HS {item.hs_code} declared at {v:,} USD/kg, expected "
        f"{reference.min_usd_per_kg:,}-{reference.max_usd_per_kg:,} USD/kg "
        f"for HS {reference.hs_prefix}",
    }


@indicator(
    "UNIT_VALUE_OUTLIER", "Declared value per kg implausible for the HS code", UnitValueParams
)
def unit_value_outlier(ctx: Context, params: UnitValueParams) -> Finding | None:
    ranks = {
        (f["label"], r["line"]): r
        for f in (ctx.history.kind("hs6") if ctx.history else [])
        for r in f["unit_values"]
    }
    identical = {
        r["line"]: r
        for f in (ctx.history.kind("goods") if ctx.history else [])
        for r in f["unit_values"]
    }
    found = []
    for item in ctx.declaration.items:
        finding = _reference(ctx, item, params)
        # The most specific history with enough observations: identical goods (the HS6 under
        # the same description), else the HS6 code, whose range mixes products (a GPU and a
        # microcontroller, NdFeB and samarium-cobalt magnets share one).
        rank, same = identical.get(item.line) if params.identical_goods else None, True
        if rank is None or rank["observations"] < params.min_observations:
            rank, same = ranks.get((item.hs_code[:6], item.line)), False
        if finding is None and rank is not None and rank["observations"] >= params.min_observations:
            controlled = ctx.policy.catalogue.controlled_group(item.hs_code) is not None
            finding = _learned(item, rank, params, controlled, same)
        if finding:
            found.append({"line": item.line, "hs_code": item.hs_code, **finding})
    if not found:
        return None
    return Finding(evidence="; ".join(f["evidence"] for f in found), facts={"lines": found})


class OwnHistoryParams(Params):
    roles: list[str] = ["exporter", "consignee"]
    min_observations: int = Field(5, ge=1)  # the party's earlier lines of this HS6
    extreme_share: float = Field(0.95, gt=0.5, le=1)  # share of them the value lies below
    max_ratio: float = Field(0.3, gt=0, lt=1)  # and at most this share of their median


@indicator(
    "UNIT_VALUE_BELOW_OWN_HISTORY",
    "Controlled goods priced far below the party's own earlier prices for them",
    OwnHistoryParams,
)
def unit_value_below_own_history(ctx: Context, params: OwnHistoryParams) -> Finding | None:
    """An exporter that sold magnets at 60 USD/kg for months invoicing them at 8, or a buyer
    paying a tenth of what it paid every other supplier: undervaluation to stay under a value
    that draws a licence check or duty. Judged against the party's own prices for the same
    HS6, which are far narrower than the product's world-wide range."""
    found = []
    for role in params.roles:
        party = ctx.history.role(role) if ctx.history and ctx.controlled else None
        for rank in party["own_unit_values"] if party else []:
            n, median, v = rank["observations"], rank["median_usd_per_kg"], rank["usd_per_kg"]
            if n < params.min_observations or rank["share_above"] < params.extreme_share:
                continue
            if v > params.max_ratio * median:
                continue
            found.append(
                {
                    "role": role,
                    "name": party["label"],
                    "line": rank["line"],
                    "hs6": rank["hs6"],
                    "usd_per_kg": v,
                    "median_usd_per_kg": median,
                    "observations": n,
                    "share_above": rank["share_above"],
                }
            )
    if not found:
        return None
    return Finding(
        evidence="; ".join(
            f"line {f['line']} HS {f['hs6']} at {f['usd_per_kg']:,} USD/kg is below "
            f"{f['share_above']:.0%} of the {f['observations']} earlier controlled lines of HS "
            f"{f['hs6']} of {f['role']} {f['name']!r} (median {f['median_usd_per_kg']:,} USD/kg)"
            for f in found
        ),
        facts={"lines": found},
    )
