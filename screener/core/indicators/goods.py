"""Forged-description red flags: what the paperwork says the goods are, against their code
and their price.

- A controlled HS code whose description names none of the goods of its group ("iron
  parts" under 8505.11 permanent magnets) hides what is in the box.
- Cheap goods priced far above their own range and inside the range of the controlled goods
  that hide behind them (antimony declared as zinc, gallium as solder paste) are the
  controlled goods, invoiced at what the buyer really pays.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import Field

from screener.core.indicators.registry import Finding, Params, indicator

if TYPE_CHECKING:
    from screener.core.context import Context


class DescriptionParams(Params):
    # commodity group key -> words (lower case) one of which its descriptions name
    words: dict[str, list[str]] = Field(default_factory=dict)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.casefold()))


@indicator(
    "DESCRIPTION_CONTRADICTS_HS",
    "Description names none of the goods of the controlled HS code",
    DescriptionParams,
)
def description_contradicts_hs(ctx: Context, params: DescriptionParams) -> Finding | None:
    found = []
    for line in ctx.controlled:
        expected = params.words.get(line.group.key)
        if expected and not _words(line.item.description) & set(expected):
            found.append(line)
    if not found:
        return None
    return Finding(
        evidence="; ".join(
            f"line {c.item.line} HS {c.item.hs_code} ({c.group.title}) described as "
            f"{c.item.description!r}"
            for c in found
        ),
        facts={
            "lines": [
                {"line": c.item.line, "hs_code": c.item.hs_code, "group": c.group.key}
                for c in found
            ]
        },
    )


class CoverParams(Params):
    # HS prefix of cheap goods -> controlled group keys reported hidden behind them
    covers: dict[str, list[str]] = Field(default_factory=dict)
    tolerance: float = Field(0.5, ge=0, le=10)  # as UNIT_VALUE_OUTLIER: above max*(1+tol)


@indicator(
    "PRICED_AS_CONTROLLED",
    "Cheap goods priced like the controlled goods that hide behind them",
    CoverParams,
)
def priced_as_controlled(ctx: Context, params: CoverParams) -> Finding | None:
    catalogue = ctx.policy.catalogue
    groups = {g.key: g for g in catalogue.groups}
    found = []
    for item in ctx.declaration.items:
        cover = next((p for p in params.covers if item.hs_code.startswith(p)), None)
        own = catalogue.unit_value_range(item.hs_code)
        rate = ctx.policy.document.fx_to_usd.get(item.value.currency)
        if cover is None or own is None or rate is None:
            continue
        usd_per_kg = float(item.value.amount * Decimal(str(rate))) / item.net_mass_kg
        if usd_per_kg <= own.max_usd_per_kg * (1 + params.tolerance):
            continue
        for key in params.covers[cover]:
            group = groups.get(key)
            for prefix in group.hs_prefixes if group else ():
                r = catalogue.unit_value_range(prefix)
                if r and r.min_usd_per_kg <= usd_per_kg <= r.max_usd_per_kg:
                    found.append((item, round(usd_per_kg, 2), own, group.title, prefix))
                    break
            else:
                continue
            break
    if not found:
        return None
    return Finding(
        evidence="; ".join(
            f"line {item.line} HS {item.hs_code} {item.description!r} at {v:,} USD/kg "
            f"(expected at most {own.max_usd_per_kg:,}) is priced like {title} (HS {prefix})"
            for item, v, own, title, prefix in found
        ),
        facts={
            "lines": [
                {"line": item.line, "hs_code": item.hs_code, "usd_per_kg": v, "like": prefix}
                for item, v, _, _, prefix in found
            ]
        },
    )
