"""Analysts' dispositions on a real broker: an alert confirmed as diversion follows its
consignee to its next declaration; a disposition that cannot be recorded is dead-lettered."""

from __future__ import annotations

import asyncio
import time

import orjson

from screener.core.policy import DEFAULT_POLICY, load_policy
from screener.models import Alert, Assessment
from screener.sim.declarations import SampleMessage
from screener.stream.clients import tail
from tests.integration.conftest import screener_command
from tests.integration.kafka_io import accounted, by_topic, collect, metric, read_table, send_all
from tests.integration.test_pipeline import EXAMPLE, example_sample

CONSIGNEE = "party:consignee:TH:name:siam precision trading"


def disposition(alert: Alert, verdict: str, **changes) -> SampleMessage:
    value = {
        "schema_version": 1,
        "declaration_id": alert.declaration_id,
        "alert_id": alert.alert_id,
        "verdict": verdict,
        "analyst": "analyst-7",
        "decided_at": "2026-11-29T14:05:00Z",
        "note": None,
    } | changes
    key = alert.declaration_id.encode()
    return SampleMessage(key, orjson.dumps(value), "disposition", alert.declaration_id)


def wait_for_metric(pipeline, port: int, name: str, at_least: float, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        text = pipeline.http_get(port, "/metrics")[1]
        if metric(text, name) >= at_least:
            return text
        assert time.monotonic() < deadline, f"{name} < {at_least} after {timeout}s"
        time.sleep(0.2)


async def consignee_row(pipeline, wanted, timeout: float = 60) -> dict:
    """The consignee's history as the history changelog has it, once `wanted(history)`."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await read_table(pipeline.bootstrap, pipeline.history_changelog)
        history = rows.get(CONSIGNEE, {}).get("history", {})
        if wanted(history):
            return history
        assert time.monotonic() < deadline, f"consignee row never got there: {history}"
        await asyncio.sleep(0.5)


async def dead_dispositions(pipeline, n: int, timeout: float = 60) -> list:
    records = []

    async def read() -> None:
        async for record in tail(pipeline.bootstrap, [pipeline.disposition_dead_letters]):
            records.append(record)
            if len(records) >= n:
                return

    await asyncio.wait_for(read(), timeout)
    return records


async def test_a_confirmed_diversion_follows_its_consignee_and_bad_dispositions_are_kept(
    pipeline,
):
    port = pipeline.start_worker()
    await send_all(pipeline.bootstrap, pipeline.declarations, [example_sample()])
    records = await collect(pipeline, accounted(pipeline, 1))
    (alert,) = [Alert.model_validate_json(r.value) for r in by_topic(records, pipeline.alerts)]
    assert CONSIGNEE in alert.entities
    wait_for_metric(pipeline, port, "screener_alerts_noted_total", 1)

    # An analyst confirms it; a case tool also sends something unreadable, and a verdict on
    # an alert this deployment never published.
    unknown = disposition(alert, "true_hit", alert_id="alr_" + "0" * 32)
    unreadable = SampleMessage(b"k", b'{"verdict": "true_hit"', "disposition", None)
    confirmed = disposition(alert, "true_hit")
    sent = await send_all(
        pipeline.bootstrap, pipeline.dispositions, [unknown, unreadable, confirmed, confirmed]
    )

    dead = {r.headers["dlq-error-code"]: r for r in await dead_dispositions(pipeline, 2)}
    assert set(dead) == {b"unknown-alert", b"invalid-json"}
    assert dead[b"unknown-alert"].value == unknown.value  # the original bytes
    assert dead[b"invalid-json"].value == unreadable.value
    for record, s in [(dead[b"unknown-alert"], sent[0]), (dead[b"invalid-json"], sent[1])]:
        assert record.headers["dlq-source-topic"].decode() == pipeline.dispositions
        assert int(record.headers["dlq-source-offset"]) == s.offset
        assert record.headers["dlq-expected-schema"] == b"screening-disposition/1"

    # Recorded once on the consignee's row (the copy changes nothing), and counted.
    history = await consignee_row(pipeline, lambda h: h.get("confirmed") == 1)
    assert history["cleared"] == 0
    text = wait_for_metric(pipeline, port, "screener_dispositions_total", 1)
    assert metric(text, "screener_dispositions_total") == 1
    by_indicator = 'code="CTRL_HUB_DESTINATION",verdict="true_hit"'
    assert f"screener_disposition_indicators_total{{{by_indicator}}} 1.0" in text
    assert metric(text, "screener_dispositions_dead_lettered_total") == 2

    # The consignee's next declaration, of goods with no red flag of their own.
    answer = await screened(pipeline, "CN-EXP-2026-0000999")
    hit = next(h for h in answer.indicators if h.code == "CONFIRMED_DIVERSION_BEFORE")
    assert "Siam Precision Trading" in hit.evidence

    # Reviewed again and cleared, from the command line. The row moves its count; the
    # declaration after draws nothing.
    done = screener_command(
        "dispose",
        alert.declaration_id,
        alert.alert_id,
        "--verdict",
        "false_positive",
        "--analyst",
        "analyst-7",
        env=pipeline.env(0),
    )
    assert done.returncode == 0, done.stderr
    history = await consignee_row(pipeline, lambda h: h.get("cleared") == 1)
    assert history["confirmed"] == 0
    answer = await screened(pipeline, "CN-EXP-2026-0001000")
    assert "CONFIRMED_DIVERSION_BEFORE" not in {h.code for h in answer.indicators}

    # What the verdicts say of each indicator: the example's alert, cleared at last; the
    # two tiles' alerts (priced as magnets), undecided; the unknown and the unreadable.
    report = screener_command("verdicts", env=pipeline.env(0))
    assert report.returncode == 0, report.stderr
    assert "3 alerts on" in report.stdout
    assert "0 confirmed, 1 cleared, 2 undecided (precision 0.0%); 2 dispositions of no alert" in (
        report.stdout
    )
    assert "CTRL_HUB_DESTINATION" in report.stdout
    shipped = load_policy()
    threshold = shipped.document.scoring.alert_threshold
    judged = f"policy {shipped.version}: 1 decided, threshold {threshold:g}"
    assert judged in report.stdout

    # Judged by a newer policy file, the alert's version is unknown until the reference
    # topic has it: then it is judged at its own threshold.
    newer = pipeline.workdir / "newer-policy.yaml"
    newer.write_text(
        DEFAULT_POLICY.read_text()
        .replace(f'version: "{shipped.version}"', 'version: "2099.1.1"')
        .replace(f"alert_threshold: {threshold:g}", "alert_threshold: 99")
        .replace("../lists/", f"{DEFAULT_POLICY.parent.parent}/lists/")
    )
    verdicts = ("verdicts", "--policy", str(newer))
    report = screener_command(*verdicts, env=pipeline.env(0))
    assert report.returncode == 0, report.stderr
    unknown = f"{shipped.version}: 1 decided, a version unknown here, judged at 2099.1.1's"
    assert f"{unknown} threshold 99" in report.stdout
    published = screener_command("policy", "publish", str(DEFAULT_POLICY), env=pipeline.env(0))
    assert published.returncode == 0, published.stderr
    report = screener_command(*verdicts, env=pipeline.env(0))
    assert judged in report.stdout, report.stdout


async def test_an_alert_past_the_disposition_window_is_forgotten(make_pipeline):
    pipeline = await make_pipeline()
    pipeline.extra_env["SCREENER_DISPOSITION_WINDOW_S"] = "6"  # swept every 5 s
    port = pipeline.start_worker()
    alerted = f"{pipeline.app_id}-alerted-changelog"
    await send_all(pipeline.bootstrap, pipeline.declarations, [example_sample()])
    records = await collect(pipeline, accounted(pipeline, 1))
    (alert,) = [Alert.model_validate_json(r.value) for r in by_topic(records, pipeline.alerts)]
    wait_for_metric(pipeline, port, "screener_alerts_noted_total", 1)
    assert alert.declaration_id in await read_table(pipeline.bootstrap, alerted)

    wait_for_metric(pipeline, port, "screener_alerts_forgotten_total", 1, timeout=30)
    assert alert.declaration_id not in await read_table(pipeline.bootstrap, alerted)
    late = disposition(alert, "true_hit")
    await send_all(pipeline.bootstrap, pipeline.dispositions, [late])
    (dead,) = await dead_dispositions(pipeline, 1)
    assert dead.headers["dlq-error-code"] == b"unknown-alert" and dead.value == late.value
    assert b"disposition window" in dead.headers["dlq-reason"]
    assert pipeline.workers[0].poll() is None, pipeline.log_tail(pipeline.web_ports[0])


async def screened(pipeline, declaration_id: str) -> Assessment:
    """The assessment of a later declaration of the example's consignee, of goods with no red
    flag of their own (tiles, not bound onward)."""
    later = orjson.loads(EXAMPLE.read_bytes()) | {
        "declaration_id": declaration_id,
        "declared_at": "2026-12-20T09:30:00Z",
        "amendments": [],
    }
    later["route"] |= {"final_destination_country": None}
    later["items"][0] |= {"hs_code": "6907210000", "description": "glazed ceramic tiles"}
    key = declaration_id.encode()
    sample = SampleMessage(key, orjson.dumps(later), "later", declaration_id)
    await send_all(pipeline.bootstrap, pipeline.declarations, [sample])
    records = await collect(
        pipeline, lambda rs: any(r.key == key for r in by_topic(rs, pipeline.assessments))
    )
    (answer,) = [
        Assessment.model_validate_json(r.value)
        for r in by_topic(records, pipeline.assessments)
        if r.key == key
    ]
    return answer
