"""What analysts' verdicts say of each indicator: the alerts published, joined with their
dispositions, counted as `screener evaluate` counts a labelled stream.

A confirmed alert (`true_hit`) counts as evaluate's planted, a cleared one
(`false_positive`) as its ordinary, so the table is evaluate's "what each indicator
decides", from production: the confirmed and cleared alerts each indicator was in, and those
its points took over the threshold. An indicator in many cleared alerts, deciding many of
them and few confirmed ones, is where a policy change starts. Only alerts are decided, so
this says nothing of what went unalerted (recall needs a labelled stream: evaluate).

Whether an indicator decided an alert is judged at the threshold of the policy version that
scored it, when that version is known (the reference topic, the policy file); else at the
threshold given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import orjson
from pydantic import ValidationError

from screener.core.intake import Rejection, parse_contract
from screener.evaluation import ORDINARY, Impact, Scored, impacts
from screener.models import Alert, Disposition, Verdict

CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Feedback:
    alerts: int  # distinct alerts read
    confirmed: int
    cleared: int
    unmatched: int  # dispositions of alerts not among those read (or unreadable)
    indicators: tuple[Impact, ...]  # most cleared alerts decided first
    versions: Mapping[str, int]  # decided alerts by the policy version that scored them
    unknown_versions: frozenset[str] = frozenset()  # judged at the threshold given

    @property
    def undecided(self) -> int:
        return self.alerts - self.confirmed - self.cleared

    @property
    def precision(self) -> float | None:
        decided = self.confirmed + self.cleared
        return self.confirmed / decided if decided else None


class Tally:
    """Dispositions first (few), then the alerts one at a time (many: only those decided are
    kept). Dispositions in topic order: an alert's latest verdict is the one that counts."""

    def __init__(self, dispositions: Iterable[bytes | None]) -> None:
        self.verdicts: dict[str, Verdict] = {}
        self.unreadable = 0
        for value in dispositions:
            parsed = parse_contract(value, Disposition)
            if isinstance(parsed, Rejection):
                self.unreadable += 1
            else:
                self.verdicts[parsed.alert_id] = parsed.verdict
        self.seen: set[str] = set()
        self.decided: dict[str, Alert] = {}

    def alert(self, value: bytes | None) -> None:
        """An alert as published; one published again counts once."""
        try:
            alert_id = orjson.loads(value or b"")["alert_id"]
            if alert_id in self.verdicts:
                self.decided[alert_id] = Alert.model_validate_json(value or b"")
        except (orjson.JSONDecodeError, KeyError, TypeError, ValidationError):
            return  # not an alert: the topic should have only what the worker wrote
        self.seen.add(alert_id)

    def feedback(self, threshold: float, thresholds: Mapping[str, float] | None = None) -> Feedback:
        """`thresholds`: by policy version, for the alerts of the versions it knows."""
        thresholds = thresholds or {}
        scored = [
            Scored(
                CONFIRMED if self.verdicts[alert_id] == Verdict.TRUE_HIT else ORDINARY,
                alert.score,
                tuple(alert.indicators),
                counted=True,
                declaration_id=alert.declaration_id,
                threshold=thresholds.get(alert.policy_version),
            )
            for alert_id, alert in self.decided.items()
        ]
        versions = Counter(alert.policy_version for alert in self.decided.values())
        confirmed = sum(s.label == CONFIRMED for s in scored)
        return Feedback(
            alerts=len(self.seen),
            confirmed=confirmed,
            cleared=len(scored) - confirmed,
            unmatched=self.unreadable + len(self.verdicts.keys() - self.decided.keys()),
            indicators=impacts(scored, threshold),
            versions=dict(sorted(versions.items())),
            unknown_versions=frozenset(versions.keys() - thresholds.keys()),
        )


def decided(
    alerts: Iterable[bytes | None],
    dispositions: Iterable[bytes | None],
    threshold: float,
    thresholds: Mapping[str, float] | None = None,
) -> Feedback:
    """Alert and disposition values, each in topic order."""
    tally = Tally(dispositions)
    for value in alerts:
        tally.alert(value)
    return tally.feedback(threshold, thresholds)
