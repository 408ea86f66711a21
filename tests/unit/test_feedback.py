"""What analysts' verdicts say of each indicator: alerts joined with their dispositions."""

from __future__ import annotations

import orjson

from screener.batch import HistoryScreener
from screener.core.assess import alert_for
from screener.feedback import decided
from screener.stream.envelopes import encode


def disposition(alert, verdict: str) -> bytes:
    return orjson.dumps(
        {
            "schema_version": 1,
            "declaration_id": alert.declaration_id,
            "alert_id": alert.alert_id,
            "verdict": verdict,
            "analyst": "a",
            "decided_at": "2026-11-29T14:05:00Z",
            "note": None,
        }
    )


def test_each_alert_counts_once_with_its_latest_verdict(declaration, policy):
    threshold = policy.document.scoring.alert_threshold
    screener = HistoryScreener(policy, {})
    first = declaration()
    other = declaration(**{"declaration_id": "CN-EXP-2026-0000456"})
    a, b = (alert_for(screener.screen(d), policy, d) for d in (first, other))
    alerts = [encode(a), encode(a), encode(b), b"not an alert"]  # a published twice
    unknown = disposition(a, "true_hit").replace(a.alert_id.encode(), b"alr_" + b"0" * 32)
    dispositions = [
        disposition(a, "false_positive"),
        disposition(a, "true_hit"),  # reviewed again: this one counts
        disposition(b, "false_positive"),
        unknown,
        b"{",
    ]
    result = decided(alerts, dispositions, threshold)
    assert (result.alerts, result.confirmed, result.cleared, result.undecided) == (2, 1, 1, 0)
    assert result.unmatched == 2 and result.precision == 0.5
    by_code = {i.code: i for i in result.indicators}
    for hit in a.indicators:
        assert by_code[hit.code].planted == 1  # in the confirmed alert
    for hit in b.indicators:
        assert by_code[hit.code].ordinary == 1  # in the cleared one
    # Each alert scores far over the threshold: no one indicator decides it.
    assert all(i.planted_alerts == i.false_alerts == 0 for i in result.indicators)
    # An alert of two hits just at the threshold: each decides it.
    hits = [h for h in a.indicators if h.points][:2]
    tight = a.model_copy(update={"indicators": hits, "score": sum(h.points for h in hits)})
    result = decided([encode(tight)], [disposition(tight, "false_positive")], tight.score)
    assert {i.code: (i.ordinary, i.false_alerts) for i in result.indicators} == {
        h.code: (1, 1) for h in hits
    }


def test_no_dispositions_no_verdicts(declaration, policy):
    d = declaration()
    alert = alert_for(HistoryScreener(policy, {}).screen(d), policy, d)
    result = decided([encode(alert)], [], 55)
    assert (result.alerts, result.undecided, result.precision) == (1, 1, None)
    assert result.indicators == ()


def test_an_alert_is_judged_at_the_threshold_of_the_policy_that_scored_it(declaration, policy):
    d = declaration()
    alert = alert_for(HistoryScreener(policy, {}).screen(d), policy, d)
    hits = [h for h in alert.indicators if h.points][:2]
    score = sum(h.points for h in hits)  # two hits, the score just at the older threshold
    older = alert.model_copy(update={"indicators": hits, "score": score, "policy_version": "old"})
    values, verdicts = [encode(older)], [disposition(older, "false_positive")]

    known = decided(values, verdicts, score + 10, {"old": score, "new": score + 10})
    assert {i.code: i.false_alerts for i in known.indicators} == {h.code: 1 for h in hits}
    assert (known.versions, known.unknown_versions) == ({"old": 1}, frozenset())

    # A version not known: judged at the threshold given, which this score is under.
    unknown = decided(values, verdicts, score + 10, {"new": score + 10})
    assert {i.code: i.false_alerts for i in unknown.indicators} == {h.code: 0 for h in hits}
    assert (unknown.versions, unknown.unknown_versions) == ({"old": 1}, frozenset({"old"}))
