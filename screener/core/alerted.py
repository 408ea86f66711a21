"""The ledger of alerted declarations, through which an analyst's verdict reaches history.

A row per declaration that alerted: its alert ids (one per policy version that alerted it),
the entities it was judged against (of every version alerted: an amendment may name other
parties), its indicators and the latest verdict. The worker keeps it in its `alerted` table,
batch scoring beside its history; both change it only here, so a disposition means the same
in a backtest as in production.
"""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]


class UnknownAlert(LookupError):
    """A verdict on an alert the ledger has no note of."""


def noted(row: Row | None, note: Row) -> Row:
    """The row of a declaration with one more alert noted: a copy changes nothing, an alert
    under another policy or of an amendment adds its id, entities and indicators. Its time
    is its first filing's, whatever order the notes come in: a verdict is recorded at it, and
    what analysts cleared after it counts as looked at after the diversion."""
    row = dict(row or {"alert_ids": [], "entities": [], "indicators": []})
    row["declared_at"] = min(row.get("declared_at", note["declared_at"]), note["declared_at"])
    row["assessed_at"] = max(row.get("assessed_at", 0), note["assessed_at"])
    for field in ("entities", "indicators"):
        row[field] = sorted({*row[field], *note[field]})
    row["alert_ids"] = sorted({*row["alert_ids"], note["alert_id"]})
    return row


def newly_decided(before: Row | None, after: Row) -> set[str]:
    """The entities an alert noted again brings to a decided row: they take its verdict too
    (an amendment alerted after the verdict names other parties)."""
    if before is None or "verdict" not in before:
        return set()
    return set(after["entities"]) - set(before["entities"])


def judged(row: Row | None, alert_id: str | None, verdict: str, **details: Any) -> Row | None:
    """The row with an analyst's verdict on one of its alerts (`alert_id`; None: any);
    None when that changes nothing (a copy, or the same verdict again). Raises UnknownAlert
    for an alert never noted (or forgotten)."""
    if row is None or (alert_id is not None and alert_id not in row["alert_ids"]):
        raise UnknownAlert(alert_id)
    if row.get("verdict") == verdict:
        return None
    return row | {"verdict": verdict, **details}
