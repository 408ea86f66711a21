"""Detection figures: the arithmetic on a hand-made case, then a small labelled stream end to
end through the command line, and replay's arguments."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from screener.cli import app, replay_key
from screener.evaluation import Scored, errors, impacts, percentile, report
from screener.models import IndicatorHit
from screener.sim.traffic import read_labels

runner = CliRunner()


NO_LICENCE = IndicatorHit(
    code="CTRL_NO_LICENCE", title="No licence", points=20, evidence="line 1 carries none"
)


def scored(label: str, *scores: float, counted: bool = True) -> list[Scored]:
    return [Scored(label, s, (NO_LICENCE,) if s else (), counted) for s in scores]


# Threshold 55. Ordinary: 10 counted, 1 alert (60). Scheme a: 4, 3 alerts. Scheme b: 2, 0.
CASE = [
    *scored("ordinary", 0, 0, 0, 0, 0, 10, 20, 30, 40, 60),
    *scored("ordinary", 99, 99, counted=False),  # warm-up: screened, not counted
    *scored("a", 55, 70, 100, 20),
    *scored("b", 10, 50),
    *scored("malformed:not_json", 0),
]


def test_recall_precision_and_alert_rate_by_hand() -> None:
    r = report(CASE, 55, "test")
    a, b = r.schemes
    assert (a.label, a.count, a.alerts, a.recall) == ("a", 4, 3, 0.75)
    assert a.precision == 3 / (3 + 1)  # its alerts over its alerts and ordinary's one
    assert (b.count, b.alerts, b.recall, b.precision) == (2, 0, 0.0, 0.0)
    assert (r.ordinary.count, r.ordinary.alerts, r.ordinary.alert_rate) == (10, 1, 0.1)
    assert r.ordinary.recall is None and r.ordinary.precision is None
    assert (r.overall.count, r.overall.alerts) == (6, 3)
    assert r.overall.recall == 0.5 and r.overall.precision == 0.75


def test_score_distribution_by_hand() -> None:
    r = report(CASE, 55, "test")
    a = r.schemes[0]
    # sorted 20, 55, 70, 100: p50 halfway between 55 and 70; p10 at 0.3 of the way 20 -> 55
    assert a.p50 == 62.5 and a.p10 == pytest.approx(30.5) and a.p90 == pytest.approx(91.0)
    assert r.ordinary.p50 == 5.0
    assert r.scores["a"] == [55, 70, 100, 20]
    assert a.top_indicators == (("CTRL_NO_LICENCE", 1.0),)
    assert percentile([], 0.5) is None and percentile([7.0], 0.9) == 7.0


def test_what_each_indicator_decides_by_hand() -> None:
    def hit(code: str, points: float) -> IndicatorHit:
        return IndicatorHit(code=code, title=code, points=points, evidence="-")

    hub, payer, listed, shown = hit("HUB", 30), hit("PAYER", 30), hit("LISTED", 60), hit("VIA", 0)

    def case(label: str, *hits: IndicatorHit, counted: bool = True) -> Scored:
        return Scored(label, min(100, sum(h.points for h in hits)), hits, counted)

    rows = impacts(
        [
            case("ordinary", hub),  # 30: no alert, nothing decided
            case("ordinary", hub, payer, shown),  # 60: each of the two decides it
            case("a", hub, payer, listed),  # 120 capped at 100: no single hit decides it
            case("a", listed),  # 60: decided by LISTED
            case("ordinary", hub, payer, counted=False),  # warm-up: left out
        ],
        55,
    )
    # (code, ordinary fired, false alerts decided, planted fired, planted alerts decided),
    # whatever decides most false alerts first
    assert [(i.code, i.ordinary, i.false_alerts, i.planted, i.planted_alerts) for i in rows] == [
        ("HUB", 2, 1, 1, 0),
        ("PAYER", 1, 1, 1, 0),
        ("LISTED", 0, 0, 2, 1),
    ]
    assert [i.code for i in report(CASE, 55, "test").indicators] == ["CTRL_NO_LICENCE"]


def test_errors_are_the_planted_missed_and_the_ordinary_alerted_by_hand() -> None:
    wrong = list(errors(CASE, 55))
    assert [(e["error"], e["label"], e["score"]) for e in wrong] == [
        ("false_alert", "ordinary", 60),
        ("missed", "a", 20),
        ("missed", "b", 10),
        ("missed", "b", 50),
    ]  # in stream order; warm-up and malformed lines left out


def test_errors_of_a_simulated_stream_add_up_to_its_figures(policy) -> None:
    from screener.evaluation import screen_labelled
    from screener.sim.traffic import TrafficSpec, simulate
    from screener.sim.world import WorldSize

    spec = TrafficSpec(
        600, per_day=100, world=WorldSize(200, 400, 30), planted_share=0.2, warmup_days=1
    )
    scored, _ = screen_labelled(
        ((r.value, r.label, r.warmup, r.superseded) for r in simulate(spec)), policy
    )
    # Above the policy's threshold, so that this small stream has errors of both kinds
    # whatever the policy catches at its own.
    threshold = 80
    r = report(scored, threshold, policy.version)
    wrong = list(errors(scored, threshold))
    missed = [e for e in wrong if e["error"] == "missed"]
    assert len(missed) == r.overall.count - r.overall.alerts > 0
    assert len(wrong) - len(missed) == r.ordinary.alerts > 0
    for e in wrong:
        assert (e["score"] >= threshold) == (e["error"] == "false_alert")
        assert e["score"] == pytest.approx(min(100, sum(i["points"] for i in e["indicators"])))
        assert all(i["evidence"] for i in e["indicators"]) and e["declaration_id"]


def test_a_late_amendment_is_judged_on_its_amended_version(policy) -> None:
    """Its first version, filed for the usual buyer, shows nothing of the scheme and is not
    counted; the amendment, sent under the same id, must be screened anew and caught."""
    from screener.evaluation import screen_labelled
    from screener.sim.traffic import TrafficSpec, simulate
    from screener.sim.world import WorldSize

    spec = TrafficSpec(
        1500,
        per_day=150,
        world=WorldSize(300, 600, 40),
        planted_share=0.05,
        scheme_weights={"late_consignee_amendment": 1},
        warmup_days=4,
    )
    records = simulate(spec)
    scored, _ = screen_labelled(
        ((r.value, r.label, r.warmup, r.superseded) for r in records), policy
    )
    threshold = policy.document.scoring.alert_threshold
    result = report(scored, threshold, policy.version)
    (row,) = result.schemes
    amended = [r for r in records if r.label == row.label and not r.superseded]
    firsts = [
        s for s, r in zip(scored, records, strict=True) if r.superseded and r.label != "ordinary"
    ]
    assert row.count == len(amended) == len(firsts) > 20
    assert not any(s.counted for s in firsts)
    assert row.recall >= 0.9
    # As booked, the shipment is the relationship's ordinary trade: few alert, as few of it do.
    assert sum(s.score >= threshold for s in firsts) <= 0.15 * len(firsts)
    shown = result.first_versions  # reported apart
    assert (shown.count, shown.alerts) == (len(firsts), sum(s.score >= threshold for s in firsts))


def test_a_small_labelled_stream_end_to_end(tmp_path) -> None:
    stream, labels, plot = tmp_path / "s.jsonl", tmp_path / "l.csv", tmp_path / "scores.png"
    common = ["--per-day", "100", "--exporters", "200", "--consignees", "400"]
    common += ["--forwarders", "30", "--seed", "5", "--warmup-days", "1"]
    files = ["--out", str(stream), "--labels", str(labels)]
    made = runner.invoke(
        app, ["simulate", "--count", "400", "--planted-share", "0.1", *files, *common]
    )
    assert made.exit_code == 0, made.output
    written = read_labels(labels)
    again = sum(label.superseded for label in written)  # first versions, sent again amended
    assert again > 0
    assert len(stream.read_bytes().splitlines()) == len(written) == 400 + again
    assert f"{400 + again} lines: 400 declarations" in made.output
    wrong = tmp_path / "errors.jsonl"
    result = runner.invoke(
        app, ["evaluate", str(stream), str(labels), "--plot", str(plot), "--errors", str(wrong)]
    )
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in wrong.read_bytes().splitlines()]
    assert f"{len(lines)} errors written to" in result.output
    assert "planted (all schemes)" in result.output
    assert "first versions of planted declarations (not counted): " in result.output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = runner.invoke(app, ["evaluate", "--generate", "400", "--planted-share", "0.1", *common])
    assert again.exit_code == 0, again.output
    # The same stream simulated in memory gives the same figures as from the files.
    table = lambda text: text[text.index("┏") : text.index("ordinary alert rate")]  # noqa: E731
    assert table(again.output) == table(result.output)
    reviewed = runner.invoke(app, ["evaluate", str(stream), str(labels), "--review-days", "2"])
    assert reviewed.exit_code == 0, reviewed.output
    assert "analysts' verdicts back into history 2 days after each alert" in reviewed.output
    refused = runner.invoke(app, ["evaluate", str(stream), str(labels), "--review-days", "-1"])
    assert refused.exit_code == 2


def test_malformed_lines_are_rejected_and_not_scored(policy) -> None:
    from screener.evaluation import screen_labelled
    from screener.sim.traffic import TrafficSpec, simulate
    from screener.sim.world import WorldSize

    spec = TrafficSpec(
        50, per_day=50, world=WorldSize(100, 200, 10), malformed_share=0.1, warmup_days=0
    )
    records = simulate(spec)
    scored, rejected = screen_labelled(
        ((r.value, r.label, r.warmup, r.superseded) for r in records), policy
    )
    assert sum(r.label.startswith("malformed:") for r in records) == rejected == 5
    assert len(scored) == len(records) - 5
    assert not any(s.label.startswith("malformed:") for s in scored)


def test_evaluate_needs_files_or_generate(tmp_path) -> None:
    result = runner.invoke(app, ["evaluate"])
    assert result.exit_code == 1 and "--generate" in result.output


# --- replay (arguments only; producing needs a broker) --------------------------------------


def test_replay_keys_by_declaration_id() -> None:
    assert replay_key(b'{"declaration_id": "CN-EXP-2026-0000123"}') == b"CN-EXP-2026-0000123"
    assert replay_key(b"CN-EXP-2026-1,2026-11-28,CN,TH") is None  # not JSON
    assert replay_key(b"[1, 2]") is None and replay_key(b'{"declaration_id": 7}') is None


def test_replay_refuses_a_negative_rate_and_a_missing_file(tmp_path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text("{}\n")
    negative = runner.invoke(app, ["replay", str(data), "--rate", "-5"])
    assert negative.exit_code == 1 and "--rate" in negative.output
    missing = runner.invoke(app, ["replay", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 1 and "no such file" in missing.output
    bad = runner.invoke(app, ["replay", str(data), "--rate", "fast"])
    assert bad.exit_code == 2
