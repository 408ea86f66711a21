"""Alerts for people: rich tables of what the screener found and why."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table

from screener.models import Alert, Severity

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.NONE: "dim",
}


def alerts_table(alerts: Iterable[Alert], title: str | None = None) -> Table:
    table = Table(title=title, expand=True, show_lines=False)
    table.add_column("declaration", no_wrap=True)
    table.add_column("score", justify="right")
    table.add_column("severity")
    table.add_column("top reasons", ratio=1)
    for alert in alerts:
        reasons = "\n".join(f"[bold]{hit.code}[/] {hit.evidence}" for hit in alert.indicators[:3])
        table.add_row(
            alert.declaration_id,
            f"{alert.score:.0f}",
            f"[{SEVERITY_STYLE[alert.severity]}]{alert.severity.value}[/]",
            reasons,
        )
    return table


def make_console() -> Console:
    return Console(highlight=False)
