"""The screening core: one declaration and the policy in force in, one assessment out.

Pure: no Kafka, no clock unless none is given, no I/O. The worker and batch scoring call the
same function, so a backtest and the live service agree for the same input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from screener.core.context import Context
from screener.core.history import scatter
from screener.core.history.snapshot import HistorySnapshot
from screener.core.policy import Policy
from screener.core.subject import subject_of
from screener.models import (
    MAX_EVIDENCE_CHARS,
    MAX_FACT_ITEMS,
    Alert,
    Assessment,
    Declaration,
    IndicatorHit,
)

# What one indicator says is bounded, however many lines of a declaration it fired on (up to
# 1,000): an analyst reads the first of them, and an assessment stays far below a Kafka
# record's limit (a 1,000-line declaration made one of about 650 KB before).
_MORE = "; and {} more"


def bounded_evidence(text: str) -> str:
    """At most MAX_EVIDENCE_CHARS: the first whole parts ("; " between them) and how many
    more there were."""
    if len(text) <= MAX_EVIDENCE_CHARS:
        return text
    parts = text.split("; ")
    room = MAX_EVIDENCE_CHARS - len(_MORE.format(len(parts)))
    size, kept = -2, 0
    for part in parts:
        size += len(part) + 2
        if size > room:
            break
        kept += 1
    if kept == 0:  # the first part alone is too long
        return text[: MAX_EVIDENCE_CHARS - 1] + "…"
    return "; ".join(parts[:kept]) + _MORE.format(len(parts) - kept)


def bounded_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Lists of at most MAX_FACT_ITEMS entries, the number left out of `<name>` in
    `<name>_more`."""
    bounded: dict[str, Any] = {}
    for name, value in facts.items():
        if isinstance(value, list) and len(value) > MAX_FACT_ITEMS:
            bounded[name] = value[:MAX_FACT_ITEMS]
            bounded[f"{name}_more"] = len(value) - MAX_FACT_ITEMS
        else:
            bounded[name] = value
    return bounded


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
                evidence=bounded_evidence(finding.evidence),
                facts=bounded_facts(finding.facts),
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


def alerts(assessment: Assessment, policy: Policy) -> bool:
    """Whether the assessment reaches the policy's alert threshold."""
    return assessment.score >= policy.document.scoring.alert_threshold


def alert_for(
    assessment: Assessment,
    policy: Policy,
    declaration: Declaration,
    entities: Sequence[str] | None = None,
) -> Alert | None:
    """The alert the assessment of `declaration` raises under `policy`, if it reaches the
    alert threshold. `entities`: the keys of its histories when the caller has them (the
    worker's gather does), else they are scattered again."""
    if not alerts(assessment, policy):
        return None
    if entities is None:
        entities = [e.key for e in scatter(declaration, policy)]
    subject = subject_of(Context(declaration, policy))
    return Alert.from_assessment(assessment, subject, sorted(set(entities)))
