"""Licence red flags: controlled goods declared without an export licence, or quoting one the
declaration does not file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from screener.core.indicators.registry import Finding, NoParams, indicator
from screener.models import DocumentType
from screener.reference.documents import document_number

if TYPE_CHECKING:
    from screener.core.context import Context


@indicator("CTRL_NO_LICENCE", "Controlled goods without a licence reference", NoParams)
def no_licence(ctx: Context, params: NoParams) -> Finding | None:
    unlicensed = [line for line in ctx.controlled if not line.item.licence_ref]
    if not unlicensed:
        return None
    lines = [line.item.line for line in unlicensed]
    groups = sorted({line.group.title for line in unlicensed})
    return Finding(
        evidence=f"{len(unlicensed)} of {len(ctx.controlled)} controlled line(s) "
        f"({', '.join(groups)}) carry no licence reference: line(s) {', '.join(map(str, lines))}",
        facts={"lines": lines, "groups": groups},
    )


@indicator("LICENCE_NOT_FILED", "Licence quoted but not among the documents filed", NoParams)
def licence_not_filed(ctx: Context, params: NoParams) -> Finding | None:
    """A licence reference on a controlled line is checked against the licence filed with the
    declaration (the "documents produced" of a customs declaration). A forged or borrowed
    reference usually comes without the licence itself, or beside a licence of another number:
    as unverifiable as no reference at all."""
    filed = {
        document_number(doc.number)
        for doc in ctx.declaration.documents
        if doc.type == DocumentType.EXPORT_LICENCE
    }
    quoted = [
        line
        for line in ctx.controlled
        if line.item.licence_ref and document_number(line.item.licence_ref) not in filed
    ]
    if not quoted:
        return None
    refs = sorted({line.item.licence_ref for line in quoted})
    return Finding(
        evidence=f"controlled line(s) {', '.join(str(line.item.line) for line in quoted)} quote "
        f"licence {', '.join(refs)}, "
        + (
            f"but the licence filed is {', '.join(sorted(filed))}"
            if filed
            else "but no export licence is among the documents"
        ),
        facts={
            "lines": [line.item.line for line in quoted],
            "quoted": refs,
            "filed": sorted(filed),
        },
    )
