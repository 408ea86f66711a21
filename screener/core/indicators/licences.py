"""Licence red flags: controlled goods declared without an export licence reference."""

from __future__ import annotations

from typing import TYPE_CHECKING

from screener.core.indicators.registry import Finding, NoParams, indicator

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
