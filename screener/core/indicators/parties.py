"""Party red flags: listed parties, third-country payers, late changes of who receives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from screener.core.indicators.registry import Finding, NoParams, Params, indicator
from screener.models import PARTY_ROLES
from screener.reference.matching import DEFAULT_THRESHOLD

if TYPE_CHECKING:
    from screener.core.context import Context


class ListedPartyParams(Params):
    roles: list[str] = list(PARTY_ROLES)
    threshold: float = Field(DEFAULT_THRESHOLD, gt=0, le=1)  # name-match score that counts


@indicator("PARTY_LISTED", "Party matches a screening-list entry", ListedPartyParams)
def party_listed(ctx: Context, params: ListedPartyParams) -> Finding | None:
    hits = []
    for role, party in ctx.declaration.parties.named():
        if role not in params.roles:
            continue
        for m in ctx.policy.matcher.match(
            party.name, party.country, party.address, limit=3, threshold=params.threshold
        ):
            hits.append(
                {
                    "role": role,
                    "party_name": party.name,
                    "party_country": party.country,
                    "score": round(m.score, 3),
                    "list_id": m.entry.list_id,
                    "entry_id": m.entry.entry_id,
                    "entry_name": m.entry.name,
                    "matched_name": m.matched_name,
                    "source": m.entry.source,
                    "programs": list(m.entry.programs),
                    "explanation": m.explain(),
                }
            )
    if not hits:
        return None
    return Finding(
        evidence="; ".join(f"{h['role']} on {h['source']}: {h['explanation']}" for h in hits),
        facts={"matches": hits},
        strength=max(h["score"] for h in hits),
    )


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


class AmendmentParams(Params):
    fields: list[str]
    # Also a party change the sender did not list: an earlier version of the declaration
    # reached the history of one of its entities, but not this version's consignee or end
    # user.
    from_history: bool = False


@indicator(
    "LATE_PARTY_AMENDMENT", "Consignee or destination amended after booking", AmendmentParams
)
def late_party_amendment(ctx: Context, params: AmendmentParams) -> Finding | None:
    watched = set(params.fields)
    changed = [a for a in ctx.declaration.amendments if a.field in watched]
    if changed:
        return Finding(
            evidence="amended after booking: "
            + ", ".join(f"{a.field} at {a.amended_at.isoformat()}" for a in changed),
            facts={"fields": [a.field for a in changed]},
        )
    unlisted = _parties_new_to_it(ctx, watched) if params.from_history else []
    if not unlisted:
        return None
    return Finding(
        evidence="an earlier version of this declaration was sent before without "
        + " or ".join(f"{role} {name!r}" for role, name in unlisted)
        + ", and no amendment is listed",
        facts={
            "fields": [f"parties.{role}" for role, _ in unlisted],
            "listed": False,
            "parties": [{"role": role, "name": name} for role, name in unlisted],
        },
    )


def _parties_new_to_it(ctx: Context, watched: set[str]) -> list[tuple[str, str]]:
    """The watched parties whose history never had this declaration while another of its
    entities had an earlier version of it: any one will do, so a busy exporter whose ledger
    has forgotten the first version is made up for by its documents, its forwarder, its
    goods. A watched party's busy row whose ledger is full may have forgotten it too, so
    proves nothing."""
    history = ctx.history
    if history is None:
        return []
    roles = [role for role in ("consignee", "end_user") if f"parties.{role}" in watched]
    if not any(f.get("sent_before") for f in history.features if f["role"] not in roles):
        return []
    new = []
    for role in roles:
        f = history.role(role)
        if f is not None and not f.get("sent_before") and not f.get("may_forget"):
            new.append((role, f["label"]))
    return new
