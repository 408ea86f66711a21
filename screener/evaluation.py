"""Detection figures: a labelled stream through the core with history, scored per scheme.

The stream is screened in order by `HistoryScreener`, the path of `screener score` and of
the worker, so a declaration is judged against the history of what came before it. Lines in
the warm-up (history still building) and malformed lines are screened or rejected as the
service would, but not counted; so is the first version of a planted declaration amended
later, which shows nothing of the scheme yet (an ordinary one counts: an alert on it is an
alert an analyst reads).

Per label (a scheme, or ordinary trade):

- recall: share of the scheme's declarations that raised an alert;
- precision: its alerts over its alerts plus the alerts on ordinary trade, i.e. how many of
  an analyst's alerts would be right if this scheme were the only one in the stream;
- alert rate: alerts over declarations (for ordinary trade: the false-alert rate);
- the score distribution (p10, p50, p90) and the indicators that fire most.

Overall: recall over all planted declarations, precision over all alerts.

Per indicator (`Impact`): the declarations it gave points to, ordinary and planted, and the
alerts it decided, those that would have stayed under the threshold without its points. An
indicator that decides many ordinary alerts and few planted ones is where a policy change
starts.

The errors behind the figures, one by one (`errors`): each planted declaration missed and
each ordinary one alerted, with its score and the evidence of every indicator that fired, for
whoever tunes the policy to read.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from screener.batch import HistoryScreener, Verdicts
from screener.core.assess import alerts
from screener.core.intake import Rejection, parse_declaration
from screener.core.policy import Policy
from screener.models import Declaration, IndicatorHit, Verdict

ORDINARY = "ordinary"
PLANTED = "planted (all schemes)"
FIRST_VERSIONS = "first versions of planted declarations (not counted)"


@dataclass(frozen=True)
class Scored:
    label: str
    score: float
    hits: tuple[IndicatorHit, ...]  # the indicators that fired, with points and evidence
    counted: bool  # not warm-up, not a planted first version
    declaration_id: str = ""
    superseded: bool = False  # a first version, sent again amended
    threshold: float | None = None  # of the policy that scored it, if not the run's

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(hit.code for hit in self.hits)


@dataclass(frozen=True)
class Row:
    label: str
    count: int
    alerts: int
    recall: float | None
    precision: float | None
    alert_rate: float | None
    p10: float | None
    p50: float | None
    p90: float | None
    top_indicators: tuple[tuple[str, float], ...]  # (code, share of the label's declarations)


@dataclass(frozen=True)
class Impact:
    code: str
    ordinary: int  # ordinary declarations it gave points to
    false_alerts: int  # ordinary alerts it decided
    planted: int
    planted_alerts: int  # planted alerts it decided


@dataclass(frozen=True)
class Report:
    threshold: float
    policy_version: str
    schemes: tuple[Row, ...]
    ordinary: Row
    overall: Row
    indicators: tuple[Impact, ...]  # most ordinary alerts decided first
    first_versions: Row  # of planted declarations, screened and not counted
    scores: dict[str, list[float]]  # counted scores by label, for plots
    rejected: int  # lines the intake refused (malformed)


def screen_labelled(
    lines: Iterable[tuple[bytes, str, bool, bool]],
    policy: Policy,
    review_days: float | None = None,
    review_error: float = 0.0,
) -> tuple[list[Scored], int]:
    """(value, label, warm-up, superseded) in stream order -> scored declarations, rejected
    line count. With `review_days`, analysts decide every alert that many days after its
    declaration (`Analysts`, wrongly for a share `review_error`), and their verdicts reach
    history as dispositions do."""
    screener = HistoryScreener(policy, {})
    analysts = Analysts(screener, review_days, review_error) if review_days is not None else None
    scored, rejected = [], 0
    for value, label, warmup, superseded in lines:
        parsed = parse_declaration(value)
        if isinstance(parsed, Rejection):
            rejected += 1
            continue
        if analysts is not None:
            analysts.decide_until(parsed.declared_at)
        assessment = screener.screen(parsed, assessed_at=parsed.declared_at)
        if analysts is not None and alerts(assessment, policy):
            analysts.review(parsed, label)
        hits = tuple(assessment.indicators)
        counted = not warmup and (label == ORDINARY or not superseded)
        scored.append(
            Scored(label, assessment.score, hits, counted, parsed.declaration_id, superseded)
        )
    return scored, rejected


class Analysts:
    """Analysts who decide each alert `review_days` after its declaration: a planted
    declaration's alert confirmed (`true_hit`), an ordinary one's cleared, but for a share
    `error` of them, decided wrongly (drawn from `seed`)."""

    def __init__(
        self, screener: HistoryScreener, review_days: float, error: float = 0.0, seed: int = 0
    ) -> None:
        self.verdicts = Verdicts(screener)
        self.delay = timedelta(days=review_days)
        self.error = error
        self.rng = random.Random(seed)

    def review(self, declaration: Declaration, label: str) -> None:
        wrong = self.error > 0 and self.rng.random() < self.error
        verdict = Verdict.FALSE_POSITIVE if (label == ORDINARY) != wrong else Verdict.TRUE_HIT
        due = declaration.declared_at + self.delay
        self.verdicts.add(due, declaration.declaration_id, verdict.value)

    def decide_until(self, now: datetime) -> None:
        """Record the verdicts due by `now`."""
        self.verdicts.until(now)


def _counted(scored: Iterable[Scored]) -> list[Scored]:
    return [s for s in scored if s.counted and not s.label.startswith("malformed:")]


def report(
    scored: Sequence[Scored], threshold: float, policy_version: str, rejected: int = 0
) -> Report:
    counted = _counted(scored)
    by_label: dict[str, list[Scored]] = {}
    for s in counted:
        by_label.setdefault(s.label, []).append(s)
    ordinary = by_label.pop(ORDINARY, [])
    false_alerts = sum(s.score >= threshold for s in ordinary)
    schemes = tuple(
        _row(name, items, threshold, false_alerts) for name, items in sorted(by_label.items())
    )
    planted = [s for items in by_label.values() for s in items]
    firsts = [s for s in scored if s.superseded and s.label != ORDINARY]
    return Report(
        threshold=threshold,
        policy_version=policy_version,
        schemes=schemes,
        ordinary=_row(ORDINARY, ordinary, threshold, None),
        overall=_row(PLANTED, planted, threshold, false_alerts),
        indicators=impacts(scored, threshold),
        first_versions=_row(FIRST_VERSIONS, firsts, threshold, None),
        scores={
            label: [s.score for s in items]
            for label, items in [(ORDINARY, ordinary), *sorted(by_label.items())]
        },
        rejected=rejected,
    )


def _row(label: str, items: list[Scored], threshold: float, false_alerts: int | None) -> Row:
    n = len(items)
    alerts = sum(s.score >= threshold for s in items)
    scores = sorted(s.score for s in items)
    fired = Counter(code for s in items for code in set(s.indicators))
    planted = false_alerts is not None
    return Row(
        label=label,
        count=n,
        alerts=alerts,
        recall=alerts / n if planted and n else None,
        precision=(alerts / (alerts + false_alerts) if planted and alerts + false_alerts else None),
        alert_rate=alerts / n if n else None,
        p10=percentile(scores, 0.10),
        p50=percentile(scores, 0.50),
        p90=percentile(scores, 0.90),
        top_indicators=tuple((code, c / n) for code, c in fired.most_common(3)),
    )


def impacts(scored: Iterable[Scored], threshold: float) -> tuple[Impact, ...]:
    """Each indicator's firings (with points) and the alerts it decided, over the counted
    declarations: an alert is decided by a hit whose points, taken away, leave the score
    under the threshold (the cap taken into account): its own, or else `threshold`."""
    fired: Counter[tuple[str, bool]] = Counter()
    decided: Counter[tuple[str, bool]] = Counter()
    for s in _counted(scored):
        planted, total = s.label != ORDINARY, sum(hit.points for hit in s.hits)
        cut = threshold if s.threshold is None else s.threshold
        for hit in s.hits:
            if not hit.points:
                continue  # shown for its evidence, counted elsewhere (a transit hub)
            fired[hit.code, planted] += 1
            if s.score >= cut and min(s.score, total - hit.points) < cut:
                decided[hit.code, planted] += 1
    rows = [
        Impact(
            code, fired[code, False], decided[code, False], fired[code, True], decided[code, True]
        )
        for code in sorted({code for code, _ in fired})
    ]
    return tuple(sorted(rows, key=lambda i: (-i.false_alerts, i.code)))


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default) of sorted values."""
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def errors(scored: Iterable[Scored], threshold: float) -> Iterator[dict[str, Any]]:
    """The counted declarations screened wrongly, in stream order: planted ones under the
    threshold (`missed`), ordinary ones at or over it (`false_alert`)."""
    for s in _counted(scored):
        alerted = s.score >= threshold
        if alerted == (s.label != ORDINARY):
            continue
        yield {
            "error": "false_alert" if alerted else "missed",
            "label": s.label,
            "declaration_id": s.declaration_id,
            "score": s.score,
            "indicators": [
                {"code": hit.code, "points": hit.points, "evidence": hit.evidence} for hit in s.hits
            ],
        }
