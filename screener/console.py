"""Alerts for people: rich tables of what the screener found and why."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from screener.models import Alert, Severity

if TYPE_CHECKING:
    from screener.evaluation import Impact

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.NONE: "dim",
}


def alerts_table(alerts: Iterable[Alert], title: str | None = None, reasons: int = 3) -> Table:
    """One row an alert; each of its top reasons on one line, cut to the terminal's width."""
    table = Table(title=title, expand=True, show_lines=True)
    table.add_column("declaration: who, where, what", ratio=2, no_wrap=True, overflow="ellipsis")
    table.add_column("score", justify="right")
    table.add_column("severity")
    table.add_column("top reasons", ratio=3, no_wrap=True, overflow="ellipsis")
    for alert in alerts:
        top = "\n".join(
            f"[bold]{hit.code}[/] {escape(hit.evidence)}" for hit in alert.indicators[:reasons]
        )
        table.add_row(
            f"{alert.declaration_id}\n{escape(about(alert))}",
            f"{alert.score:.0f}",
            f"[{SEVERITY_STYLE[alert.severity]}]{alert.severity.value}[/]",
            top,
        )
    return table


def about(alert: Alert) -> str:
    """The exporter, the consignee, and the countries on the way with the goods: a line each."""
    subject = alert.subject
    if subject is None:
        return ""
    parties = {p.role: p for p in subject.parties}
    exporter, consignee = parties["exporter"], parties["consignee"]
    r = subject.route
    way = [r.origin_country, *r.transit_countries, r.destination_country]
    if r.final_destination_country and r.final_destination_country != r.destination_country:
        way.append(r.final_destination_country)
    goods = ", ".join(subject.goods.controlled_groups) or ", ".join(subject.goods.hs_codes[:3])
    return (
        f"{exporter.name} ({exporter.country})\n→ {consignee.name} ({consignee.country})\n"
        f"{' → '.join(dict.fromkeys(way))} · {goods}"
    )


def make_console() -> Console:
    # Piped to a file or CI log there is no terminal width to honour: use a readable one.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 150)


# evaluate's columns (a labelled stream), and the same read from analysts' verdicts
IMPACT_COLUMNS = (
    "ordinary fired",
    "false alerts decided",
    "planted fired",
    "planted alerts decided",
)
VERDICT_COLUMNS = ("cleared: in", "cleared: decided", "confirmed: in", "confirmed: decided")


def impact_table(indicators: Iterable[Impact], columns: tuple[str, ...] = IMPACT_COLUMNS) -> Table:
    """What each indicator decides: the declarations it fired on, and the alerts its points
    took over the threshold."""
    table = Table(
        title="what each indicator decides: alerts that its points took over the threshold",
        title_justify="left",
    )
    for column in ("indicator", *columns):
        table.add_column(column, justify="left" if column == "indicator" else "right")
    for i in indicators:
        table.add_row(
            i.code, str(i.ordinary), str(i.false_alerts), str(i.planted), str(i.planted_alerts)
        )
    return table
