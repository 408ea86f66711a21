"""Party red flags: listed parties, third-country payers, late changes of who receives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from screener.core.indicators.registry import Finding, NoParams, indicator
from screener.models import PARTY_ROLES

if TYPE_CHECKING:
    from screener.core.context import Context


class ListedPartyParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    roles: list[str] = list(PARTY_ROLES)


@indicator("PARTY_LISTED", "Party matches a screening-list entry", ListedPartyParams)
def party_listed(ctx: Context, params: ListedPartyParams) -> Finding | None:
    hits = []
    for role, party in ctx.declaration.parties.named():
        if role not in params.roles:
            continue
        for match in ctx.policy.screening.lookup(party.name, party.country):
            entry = match.entry
            hits.append(
                {
                    "role": role,
                    "party_name": party.name,
                    "party_country": party.country,
                    "list_id": entry.list_id,
                    "entry_id": entry.entry_id,
                    "entry_name": entry.name,
                    "matched_name": match.matched_name,
                    "match": match.how,
                    "source": entry.source,
                    "programs": list(entry.programs),
                    "country_agrees": match.country_agrees,
                }
            )
    if not hits:
        return None

    def describe(h: dict) -> str:
        if h["party_name"] == h["entry_name"]:
            who = f"{h['role']} {h['party_name']!r} is listed"
        else:
            alias = "" if h["matched_name"] == h["entry_name"] else f" as {h['matched_name']!r}"
            who = f"{h['role']} {h['party_name']!r} matches {h['entry_name']!r}{alias}"
        country = {True: ", same country", False: ", listed in another country", None: ""}
        return f"{who} on {h['source']} ({h['match']} name match{country[h['country_agrees']]})"

    return Finding(evidence="; ".join(describe(h) for h in hits), facts={"matches": hits})


@indicator("PAYER_THIRD_COUNTRY", "Payment from a third country", NoParams)
def payer_third_country(ctx: Context, params: NoParams) -> Finding | None:
    d = ctx.declaration
    if d.payment is None:
        return None
    payer = d.payment.payer_country
    buyer_side = {d.parties.consignee.country, *ctx.destinations}
    if payer in buyer_side:
        return None
    return Finding(
        evidence=f"paid from {payer}, which is neither the consignee's country "
        f"({d.parties.consignee.country}) nor a destination ({', '.join(ctx.destinations)})",
        facts={"payer_country": payer, "consignee_country": d.parties.consignee.country},
    )


class AmendmentParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fields: list[str]


@indicator(
    "LATE_PARTY_AMENDMENT", "Consignee or destination amended after booking", AmendmentParams
)
def late_party_amendment(ctx: Context, params: AmendmentParams) -> Finding | None:
    watched = set(params.fields)
    changed = [a for a in ctx.declaration.amendments if a.field in watched]
    if not changed:
        return None
    return Finding(
        evidence="amended after booking: "
        + ", ".join(f"{a.field} at {a.amended_at.isoformat()}" for a in changed),
        facts={"fields": [a.field for a in changed]},
    )
