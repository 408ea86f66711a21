"""The screening core: one declaration and the policy in force in, one assessment out.

Pure: no Kafka, no clock unless none is given, no I/O. The worker and batch scoring call the
same function, so a backtest and the live service agree for the same input.
"""

from __future__ import annotations

from datetime import UTC, datetime

from screener.core.context import Context
from screener.core.history.snapshot import HistorySnapshot
from screener.core.policy import Policy
from screener.models import Alert, Assessment, Declaration, IndicatorHit


def assess(
    declaration: Declaration,
    policy: Policy,
    history: HistorySnapshot | None = None,
    *,
    assessed_at: datetime | None = None,
    trace_id: str | None = None,
) -> Assessment:
    ctx = Context(declaration, policy, history)
    hits = []
    for active in policy.active:
        finding = active.indicator.fn(ctx, active.params)
        if finding is None:
            continue
        hits.append(
            IndicatorHit(
                code=active.indicator.code,
                title=active.indicator.title,
                points=round(active.weight * max(0.0, min(1.0, finding.strength)), 2),
                evidence=finding.evidence,
                facts=dict(finding.facts),
            )
        )
    hits.sort(key=lambda h: (-h.points, h.code))
    scoring = policy.document.scoring
    score = round(min(sum(h.points for h in hits), scoring.max_score), 2)
    return Assessment(
        declaration_id=declaration.declaration_id,
        declared_at=declaration.declared_at,
        score=score,
        severity=scoring.severity_bands.severity_of(score),
        indicators=hits,
        policy_version=policy.version,
        reference_versions=policy.list_versions,
        assessed_at=assessed_at or datetime.now(UTC),
        trace_id=trace_id,
        history_digest=history.digest() if history is not None else None,
    )


def alert_for(assessment: Assessment, policy: Policy) -> Alert | None:
    """The alert an assessment raises under `policy`, if it reaches the alert threshold."""
    if assessment.score < policy.document.scoring.alert_threshold:
        return None
    return Alert.from_assessment(assessment)
