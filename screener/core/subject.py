"""What an alert is about: the declaration's parties, route and goods, in a few fields.

An analyst triages an alert before opening the declaration, and a dashboard groups alerts by
consignee, destination or commodity; both need these on the alert itself.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from screener.core.context import Context
from screener.models import (
    MAX_FACT_ITEMS,
    Declaration,
    Subject,
    SubjectGoods,
    SubjectParty,
    Total,
)


def subject_of(ctx: Context) -> Subject:
    declaration: Declaration = ctx.declaration
    items = declaration.items
    hs_codes = list(dict.fromkeys(item.hs_code for item in items))
    values: dict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        values[item.value.currency] += item.value.amount
    return Subject(
        declaration_type=declaration.declaration_type,
        customs_office=declaration.customs_office,
        parties=[
            SubjectParty(role=role, name=party.name, country=party.country, id=party.id)
            for role, party in declaration.parties.named()
        ],
        route=declaration.route,
        goods=SubjectGoods(
            lines=len(items),
            hs_codes=hs_codes[:MAX_FACT_ITEMS],
            hs_codes_more=max(0, len(hs_codes) - MAX_FACT_ITEMS),
            controlled_groups=list(dict.fromkeys(line.group.title for line in ctx.controlled)),
            net_mass_kg=round(sum(item.net_mass_kg for item in items), 3),
            values=[Total(amount=amount, currency=code) for code, amount in sorted(values.items())],
        ),
        payer_country=declaration.payment.payer_country if declaration.payment else None,
    )
