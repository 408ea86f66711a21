"""Value red flags: a declared value per kilogram implausible for the declared HS code.

Far too cheap suggests undervaluation or a forged description; far too dear suggests the
goods are not what the code says (antimony declared as zinc).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from screener.core.indicators.registry import Finding, indicator

if TYPE_CHECKING:
    from screener.core.context import Context


class UnitValueParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    tolerance: float = Field(0.5, ge=0, le=10)


@indicator(
    "UNIT_VALUE_OUTLIER", "Declared value per kg implausible for the HS code", UnitValueParams
)
def unit_value_outlier(ctx: Context, params: UnitValueParams) -> Finding | None:
    fx = ctx.policy.document.fx_to_usd
    outliers = []
    for item in ctx.declaration.items:
        reference = ctx.policy.catalogue.unit_value_range(item.hs_code)
        rate = fx.get(item.value.currency)
        if reference is None or rate is None:
            continue  # no reference range or no rate: nothing to compare against
        usd_per_kg = float(item.value.amount * Decimal(str(rate))) / item.net_mass_kg
        low = reference.min_usd_per_kg * (1 - params.tolerance)
        high = reference.max_usd_per_kg * (1 + params.tolerance)
        if not low <= usd_per_kg <= high:
            outliers.append(
                {
                    "line": item.line,
                    "hs_code": item.hs_code,
                    "usd_per_kg": round(usd_per_kg, 2),
                    "expected_min": reference.min_usd_per_kg,
                    "expected_max": reference.max_usd_per_kg,
                    "reference_prefix": reference.hs_prefix,
                }
            )
    if not outliers:
        return None
    evidence = "; ".join(
        f"line {o['line']} HS {o['hs_code']} declared at {o['usd_per_kg']:,} USD/kg, "
        f"expected {o['expected_min']:,}-{o['expected_max']:,} USD/kg "
        f"for HS {o['reference_prefix']}"
        for o in outliers
    )
    return Finding(evidence=evidence, facts={"lines": outliers})
