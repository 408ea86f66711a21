"""Who receives controlled goods: an intermediary, or a company in a free-trade zone.

BIS's red flags (15 CFR 732 Supp. 3) and the BIS/FinCEN joint alerts name a freight
forwarder, trading company or bank as the final consignee, and a free-trade-zone address,
as signs that the goods go on to someone else. Both are read from the final consignee (the
end user when one is named, otherwise the consignee) by keywords, which the policy holds:
a trading house buying for its own stock is common, so these are weak signs alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from screener.core.indicators.registry import Finding, Params, indicator
from screener.reference.names import phrases_in

if TYPE_CHECKING:
    from screener.core.context import Context
    from screener.models import Party


def _final_consignee(ctx: Context) -> tuple[str, Party]:
    parties = ctx.declaration.parties
    return ("end_user", parties.end_user) if parties.end_user else ("consignee", parties.consignee)


class IntermediaryParams(Params):
    words: list[str] = []  # in the name: "trading", "logistics", "bank", ...


@indicator(
    "CONSIGNEE_INTERMEDIARY",
    "Trading company, forwarder or bank as final consignee of controlled goods",
    IntermediaryParams,
)
def consignee_intermediary(ctx: Context, params: IntermediaryParams) -> Finding | None:
    if not ctx.controlled:
        return None
    role, party = _final_consignee(ctx)
    words = phrases_in(params.words, party.name)
    if not words:
        return None
    return Finding(
        evidence=f"{role} {party.name!r}, the final consignee of controlled goods, is named "
        f"as an intermediary ({', '.join(words)}), not as a user of the goods",
        facts={"role": role, "name": party.name, "words": words},
    )


class FreeZoneParams(Params):
    address_words: list[str] = []  # "free zone", "jafza", ...
    name_words: list[str] = []  # legal forms only free-zone companies take: "fze", "fzco"


@indicator(
    "CONSIGNEE_FREE_ZONE",
    "Final consignee of controlled goods in a free-trade zone",
    FreeZoneParams,
)
def consignee_free_zone(ctx: Context, params: FreeZoneParams) -> Finding | None:
    if not ctx.controlled:
        return None
    role, party = _final_consignee(ctx)
    in_address = phrases_in(params.address_words, party.address)
    in_name = phrases_in(params.name_words, party.name)
    if not in_address and not in_name:
        return None
    where = [f"address {party.address!r} ({', '.join(in_address)})"] if in_address else []
    where += [f"legal form {', '.join(in_name).upper()}"] if in_name else []
    return Finding(
        evidence=f"{role} {party.name!r} ({party.country}), the final consignee of controlled "
        f"goods, is in a free-trade zone: {'; '.join(where)}",
        facts={
            "role": role,
            "name": party.name,
            "country": party.country,
            "address_words": in_address,
            "name_words": in_name,
        },
    )
