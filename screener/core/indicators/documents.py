"""Document red flags: a certificate of origin issued in a transit country.

Chambers of commerce certify goods made in their own country. A certificate from a country
the goods only passed through, for goods declared to originate elsewhere, is how the origin
of diverted goods is laundered (DOMAIN.md: forged documents).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from screener.core.indicators.registry import Finding, NoParams, indicator
from screener.models import DocumentType

if TYPE_CHECKING:
    from screener.core.context import Context


@indicator(
    "ORIGIN_CERTIFICATE_ELSEWHERE",
    "Certificate of origin issued outside the goods' origin",
    NoParams,
)
def origin_certificate_elsewhere(ctx: Context, params: NoParams) -> Finding | None:
    d = ctx.declaration
    origins = {item.origin_country for item in d.items}
    passed = {d.route.dispatch_country, *d.route.transit_countries}
    odd = [
        doc
        for doc in d.documents
        if doc.type == DocumentType.CERTIFICATE_OF_ORIGIN and doc.issuing_country not in origins
    ]
    if not odd:
        return None
    return Finding(
        evidence="; ".join(
            f"certificate of origin {doc.number} issued in {doc.issuing_country}"
            + (" (a country the goods passed through)" if doc.issuing_country in passed else "")
            + f" for goods of {', '.join(sorted(origins))} origin"
            for doc in odd
        ),
        facts={
            "issuing_countries": sorted({doc.issuing_country for doc in odd}),
            "origins": sorted(origins),
            "passed_through": sorted({doc.issuing_country for doc in odd} & passed),
        },
    )
