"""Line of business: goods that do not fit what the parties say they do.

BIS's "know your customer" red flags (15 CFR 732 Supp. 3) begin with it: the item does not
fit the buyer's line of business. Misdeclared minerals travel as cheap, unrelated goods
(ceramic tiles, solder paste) between companies named for metals, who would not trade them.
A party's line of business is read from the words of its name for the few trades whose
names are specific (policy data: trade words -> the HS chapters of that trade); names that
say nothing specific, as most do, leave the indicator quiet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from screener.core.indicators.registry import Finding, Params, indicator
from screener.reference.names import phrases_in

if TYPE_CHECKING:
    from screener.core.context import Context


class Trade(Params):
    words: list[str]  # in a name: "nonferrous", "rare metals", ...
    chapters: list[str]  # HS chapters (2 digits) the trade deals in


class LineOfBusinessParams(Params):
    roles: list[str] = ["exporter", "consignee", "end_user"]
    trades: dict[str, Trade] = {}


@indicator(
    "GOODS_OUTSIDE_LINE_OF_BUSINESS",
    "Goods outside the line of business the parties are named for",
    LineOfBusinessParams,
)
def goods_outside_line_of_business(ctx: Context, params: LineOfBusinessParams) -> Finding | None:
    d = ctx.declaration
    chapters = sorted({item.hs_code[:2] for item in d.items})
    parties = dict(d.parties.named())
    misfits = []
    for role in params.roles:
        party = parties.get(role)
        if party is None:
            continue
        claimed = {
            trade: words
            for trade, spec in params.trades.items()
            if (words := phrases_in(spec.words, party.name))
        }
        fitting = {c for trade in claimed for c in params.trades[trade].chapters}
        if claimed and not fitting.intersection(chapters):
            misfits.append((role, party.name, claimed))
    if not misfits:
        return None
    return Finding(
        evidence="; ".join(
            f"{role} {name!r} is named for {', '.join(sorted(claimed))} "
            f"({', '.join(w for words in claimed.values() for w in words)})"
            for role, name, claimed in misfits
        )
        + f", but the goods are of HS chapter(s) {', '.join(chapters)}",
        facts={
            "parties": [
                {"role": role, "name": name, "trades": sorted(claimed)}
                for role, name, claimed in misfits
            ],
            "chapters": chapters,
        },
    )
