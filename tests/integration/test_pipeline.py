"""The whole pipeline on a real broker: declarations in; assessments, alerts, dead letters out."""

from __future__ import annotations

import asyncio
import hashlib
import signal
import time
from collections import Counter
from pathlib import Path

import orjson

from screener.core.context import Context
from screener.core.policy import load_policy
from screener.core.subject import subject_of
from screener.models import Alert, Assessment, Declaration, alert_id_for
from screener.sim.declarations import SampleMessage, generate
from screener.stream.answers import declaration_of
from screener.stream.clients import Received
from tests.integration.kafka_io import (
    accounted,
    by_topic,
    collect,
    metric,
    read_table,
    send_all,
)
from tests.monitoring import all_series_read, exported_families
from tests.unit.test_gather import as_first_sent

EXAMPLE = (
    Path(__file__).resolve().parents[2]
    / "contracts/examples/shipment-declaration.magnets-via-th.json"
)


def expected_code(label: str) -> bytes:
    kind = label.removeprefix("malformed:")
    if kind in {"not_json", "truncated_json", "binary"}:
        return b"invalid-json"
    return b"unsupported-schema-version" if kind == "wrong_schema_version" else b"schema-violation"


def declarations_counted(pipeline, port: int, expected: dict[str, int]) -> dict[str, float]:
    """A worker's declaration counters (`screener_declarations_<name>_total`) once they are
    `expected`, or as they are after 10 s: they move just after publication."""
    deadline = time.monotonic() + 10
    while True:
        text = pipeline.http_get(port, "/metrics")[1]
        seen = {name: metric(text, f"screener_declarations_{name}_total") for name in expected}
        if seen == expected or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


def example_sample() -> SampleMessage:
    return SampleMessage(
        b"CN-EXP-2026-0000123", EXAMPLE.read_bytes(), "planted:example", "CN-EXP-2026-0000123"
    )


async def test_every_declaration_ends_as_one_assessment_or_one_dead_letter(pipeline):
    samples = [
        *generate(150, seed=11),
        example_sample(),
        SampleMessage(b"raw", b"\xff\xfe\x00binary", "malformed:binary", None),
        SampleMessage(
            None, b'{"schema_version": 1, "declaration_id": "X-1"}', "malformed:partial", None
        ),
    ]
    port = pipeline.start_worker()
    sent = await send_all(pipeline.bootstrap, pipeline.declarations, samples)
    records = await collect(pipeline, accounted(pipeline, len(sent)))

    assessments = by_topic(records, pipeline.assessments)
    dead = by_topic(records, pipeline.dead_letters)
    alerts = by_topic(records, pipeline.alerts)
    valid = [s for s in sent if not s.sample.label.startswith("malformed")]
    malformed = [s for s in sent if s.sample.label.startswith("malformed")]
    answers = Counter(r.key.decode() for r in assessments)
    assert len(assessments) + len(dead) == len(sent), (
        f"{len(dead)} dead letters; answered more than once: "
        f"{sorted(k for k, n in answers.items() if n > 1)}; never answered: "
        f"{sorted({s.sample.declaration_id for s in valid} - set(answers))}\n"
        + pipeline.log_tail(port)
    )
    assert len(assessments) == len(valid) and len(dead) == len(malformed)

    # Assessments: keyed by declaration id, one per valid declaration, headers as published.
    by_id = {r.key.decode(): r for r in assessments}
    assert set(by_id) == {s.sample.declaration_id for s in valid}
    trace_of = {s.sample.declaration_id: s.trace_id for s in valid}
    for key, record in by_id.items():
        assessment = Assessment.model_validate_json(record.value)
        assert assessment.declaration_id == key
        assert record.headers["content-type"] == b"application/json"
        assert record.headers["schema"] == b"screening-assessment/1"
        assert record.headers["policy-version"] == assessment.policy_version.encode()
        assert record.headers["trace-id"].decode() == assessment.trace_id == trace_of[key]

    # Dead letters: the original bytes untouched, with the reason and where they came from.
    dead_by_source = {
        (int(r.headers["dlq-source-partition"]), int(r.headers["dlq-source-offset"])): r
        for r in dead
    }
    for s in malformed:
        record = dead_by_source[(s.partition, s.offset)]
        assert record.value == s.sample.value
        assert record.key == s.sample.key
        assert record.headers["dlq-source-topic"].decode() == pipeline.declarations
        assert record.headers["dlq-error-code"] == expected_code(s.sample.label)
        assert record.headers["dlq-reason"]
        assert record.headers["trace-id"].decode() == s.trace_id  # original headers kept

    # Alerts: exactly the assessments at or above the threshold, with deterministic ids.
    alerted = {
        Alert.model_validate_json(r.value).declaration_id: Alert.model_validate_json(r.value)
        for r in alerts
    }
    high = {k for k, r in by_id.items() if Assessment.model_validate_json(r.value).score >= 55}
    assert set(alerted) == high
    for key, alert in alerted.items():
        assert alert.alert_id == alert_id_for(key, alert.policy_version)
    example = alerted["CN-EXP-2026-0000123"]
    # The stateless red flags, plus whatever the consignee's history adds (it is new here).
    assert example.score >= 85 and example.severity == "critical"
    assert {h.code for h in example.indicators} >= {
        "CTRL_HUB_DESTINATION",
        "CTRL_NO_LICENCE",
        "CTRL_ONWARD_DESTINATION",
        "PAYER_THIRD_COUNTRY",
        "LATE_PARTY_AMENDMENT",
    }
    # Who and what: the example's parties, route and goods, as the core reads them.
    example_sent = Declaration.model_validate_json(EXAMPLE.read_bytes())
    assert example.subject == subject_of(Context(example_sent, load_policy()))
    planted = {s.sample.declaration_id for s in valid if s.sample.label.startswith("planted")}
    assert planted <= set(alerted), f"planted but not alerted: {planted - set(alerted)}"

    # Metrics: the sum an SRE checks, and health. Counters move just after publication.
    expected = {
        "consumed": len(sent),
        "assessed": len(valid),
        "dead_lettered": len(malformed),
        "answered_again": 0,
    }
    assert declarations_counted(pipeline, port, expected) == expected
    status, text = pipeline.http_get(port, "/metrics")
    assert status == 200
    assert metric(text, "screener_alerts_total") == len(alerted)
    assert metric(text, "screener_assessment_latency_seconds_count") == len(valid)
    assert pipeline.http_get(port, "/health")[0] == 200
    # What deploy/prometheus's rules and deploy/grafana's dashboard read, this worker exports.
    unknown = all_series_read() - exported_families(text)
    assert not unknown, f"monitoring reads series no worker exports: {sorted(unknown)}"


async def test_a_redelivered_declaration_raises_the_same_alert_id(pipeline):
    pipeline.start_worker()
    await send_all(pipeline.bootstrap, pipeline.declarations, [example_sample(), example_sample()])
    records = await collect(pipeline, lambda rs: len(by_topic(rs, pipeline.alerts)) >= 2)
    alerts = [Alert.model_validate_json(r.value) for r in by_topic(records, pipeline.alerts)]
    assert len(alerts) == 2
    assert alerts[0].alert_id == alerts[1].alert_id
    assert alerts[0].assessed_at <= alerts[1].assessed_at


async def test_a_copy_gets_the_first_answer_until_the_answer_is_forgotten(make_pipeline):
    pipeline = await make_pipeline()
    pipeline.extra_env["SCREENER_ANSWER_RETENTION_S"] = "8"  # swept every 5 s
    port = pipeline.start_worker()
    pending = f"{pipeline.app_id}-pending-changelog"

    def assessments(n: int):
        return lambda rs: len(by_topic(rs, pipeline.assessments)) >= n

    await send_all(pipeline.bootstrap, pipeline.declarations, [example_sample()])
    await collect(pipeline, assessments(1))
    await send_all(pipeline.bootstrap, pipeline.declarations, [example_sample()])
    first, copy = by_topic(await collect(pipeline, assessments(2)), pipeline.assessments)[:2]
    assert copy.value == first.value  # byte for byte, assessed_at included
    # consumed == assessed + answered again: the copy was not lost, nor assessed twice
    expected = {"consumed": 2, "assessed": 1, "answered_again": 1}
    assert declarations_counted(pipeline, port, expected) == expected

    # The answer reaches the changelog with the next flush of pending rows, and leaves it
    # once the sweep has deleted it.
    deadline = time.monotonic() + 60

    async def answer_kept() -> bool:  # pending rows are keyed by id and digest of the bytes
        keys = await read_table(pipeline.bootstrap, pending)
        return "CN-EXP-2026-0000123" in {declaration_of(k) for k in keys}

    while not await answer_kept():
        assert time.monotonic() < deadline, "the answer was never kept"
        await asyncio.sleep(0.2)
    while await answer_kept():
        assert time.monotonic() < deadline, "the answer was never forgotten"
        await asyncio.sleep(1)
    await send_all(pipeline.bootstrap, pipeline.declarations, [example_sample()])
    later = by_topic(await collect(pipeline, assessments(3)), pipeline.assessments)[2]
    again = Assessment.model_validate_json(later.value)
    assert again.assessed_at > Assessment.model_validate_json(first.value).assessed_at
    assert pipeline.workers[0].poll() is None, pipeline.log_tail(pipeline.web_ports[0])


def quoting_a_bill(raw: bytes) -> bytes:
    """The declaration with a bill of lading among its papers (one number, one shipment)."""
    data = orjson.loads(raw)
    bill = {"type": "bill_of_lading", "number": "MAEU123456789", "issuing_country": "CN"}
    data["documents"].append(bill | {"issued_at": "2026-11-27"})
    return orjson.dumps(data)


async def test_a_declaration_sent_again_amended_is_screened_anew(pipeline):
    """The contract asks for a declaration to be sent again, with the same id, for each
    amendment: the amendment is assessed from its own content, not answered as a copy."""
    port = pipeline.start_worker()
    key = b"CN-EXP-2026-0000123"
    first = SampleMessage(key, quoting_a_bill(as_first_sent()), "ordinary", None)
    amendment = SampleMessage(key, quoting_a_bill(EXAMPLE.read_bytes()), "planted:example", None)

    def assessments(n: int):
        return lambda rs: len(by_topic(rs, pipeline.assessments)) >= n

    for n, sample in enumerate((first, amendment, amendment), start=1):
        await send_all(pipeline.bootstrap, pipeline.declarations, [sample])
        records = await collect(pipeline, assessments(n))
    before, amended, copy = (
        Assessment.model_validate_json(r.value) for r in by_topic(records, pipeline.assessments)
    )
    assert "LATE_PARTY_AMENDMENT" not in {hit.code for hit in before.indicators}
    assert "LATE_PARTY_AMENDMENT" in {hit.code for hit in amended.indicators}
    assert "Siam Precision Trading" in " ".join(hit.evidence for hit in amended.indicators)
    # Its first version is no earlier declaration: the bill both quote is not reused.
    assert "DOCUMENT_REUSED" not in {hit.code for hit in amended.indicators}
    assert copy == amended  # a copy of the amendment gets its answer
    expected = {"consumed": 3, "assessed": 2, "answered_again": 1}
    assert declarations_counted(pipeline, port, expected) == expected


async def test_a_readdressed_declaration_with_no_amendment_listed_is_found(pipeline):
    """The sender lists no amendment: the worker's history knows the exporter had an earlier
    version of the declaration, and the new consignee did not."""
    pipeline.start_worker()
    key = b"CN-EXP-2026-0000123"
    silent = orjson.loads(EXAMPLE.read_bytes())
    silent["amendments"] = []
    for n, value in enumerate((as_first_sent(), orjson.dumps(silent)), start=1):
        sample = SampleMessage(key, value, "planted:example", None)
        await send_all(pipeline.bootstrap, pipeline.declarations, [sample])
        records = await collect(
            pipeline, lambda rs, n=n: len(by_topic(rs, pipeline.assessments)) >= n
        )
    before, after = (
        Assessment.model_validate_json(r.value) for r in by_topic(records, pipeline.assessments)
    )
    assert "LATE_PARTY_AMENDMENT" not in {hit.code for hit in before.indicators}
    (found,) = [hit for hit in after.indicators if hit.code == "LATE_PARTY_AMENDMENT"]
    assert found.facts["listed"] is False
    assert "consignee 'Siam Precision Trading Co., Ltd.'" in found.evidence


async def test_a_worker_killed_mid_stream_loses_nothing(pipeline):
    """SIGKILL after some output: the restarted worker takes over from the committed offsets,
    so every input ends assessed or dead-lettered at least once (duplicates allowed)."""
    samples = generate(400, seed=5)
    first = pipeline.start_worker()
    sent = await send_all(pipeline.bootstrap, pipeline.declarations, samples)
    await collect(pipeline, lambda rs: len(rs) >= 40, timeout=60)
    pipeline.kill(pipeline.workers[0], signal.SIGKILL)
    assert pipeline.workers[0].returncode == -signal.SIGKILL, pipeline.log_tail(first)

    pipeline.start_worker()
    valid_ids = {
        s.sample.declaration_id for s in sent if not s.sample.label.startswith("malformed")
    }
    bad_sources = {(s.partition, s.offset) for s in sent if s.sample.label.startswith("malformed")}

    def all_seen(records: list[Received]) -> bool:
        seen = {r.key.decode() for r in by_topic(records, pipeline.assessments)}
        dead = {
            (int(r.headers["dlq-source-partition"]), int(r.headers["dlq-source-offset"]))
            for r in by_topic(records, pipeline.dead_letters)
        }
        return valid_ids <= seen and bad_sources <= dead

    records = await collect(pipeline, all_seen, timeout=120)
    seen = {r.key.decode() for r in by_topic(records, pipeline.assessments)}
    assert valid_ids <= seen, f"{len(valid_ids - seen)} of {len(valid_ids)} never assessed"
    assert all_seen(records)
    # Duplicates of one declaration are identical apart from when they were assessed.
    firsts: dict[str, dict] = {}
    for r in by_topic(records, pipeline.assessments):
        body = orjson.loads(r.value)
        body.pop("assessed_at")
        assert firsts.setdefault(r.key.decode(), body) == body


def as_large_as_a_producer_sends(declaration_id: str, size: int = 1_048_300) -> bytes:
    """The example declaration grown to `size` bytes with items, each with the longest
    description the contract allows: about the largest record Kafka's default limit takes."""
    d = orjson.loads(EXAMPLE.read_bytes()) | {"declaration_id": declaration_id}
    item = d["items"][0]
    line = len(orjson.dumps(item | {"description": "x" * 2000})) + 1
    count = (size - len(orjson.dumps(d))) // line
    d["items"] = [item | {"line": n + 1, "description": "x" * 2000} for n in range(count)]
    short = item | {"line": count + 1, "description": ""}
    rest = size - len(orjson.dumps(d)) - len(orjson.dumps(short)) - 1
    d["items"].append(short | {"description": "x" * rest})  # the last bytes up to `size`
    return orjson.dumps(d)


async def test_declarations_at_the_size_limit_are_assessed_and_dead_lettered_whole(pipeline):
    """A record of about 1 MiB is carried through the hops and the pending row (more than
    1 MiB with its features), and a bad one is dead-lettered with its bytes and headers:
    before the worker's own topics took large records, either stopped the worker at that
    record after every restart."""
    large = as_large_as_a_producer_sends("BIG-1")
    bad = as_large_as_a_producer_sends("BIG-2").replace(b'"country":"CN"', b'"country":"cn"', 1)
    after = example_sample()
    samples = [
        SampleMessage(b"BIG-1", large, "ordinary", "BIG-1"),
        SampleMessage(b"BIG-2", bad, "malformed:lower_case_country", None),
        after,
    ]
    assert len(large) > 1_000_000 and len(bad) > 1_000_000
    port = pipeline.start_worker()
    sent = await send_all(pipeline.bootstrap, pipeline.declarations, samples)
    records = await collect(pipeline, accounted(pipeline, len(sent)), timeout=60)
    assessed = {r.key for r in by_topic(records, pipeline.assessments)}
    assert assessed == {b"BIG-1", after.key}, pipeline.log_tail(port)
    (dead,) = by_topic(records, pipeline.dead_letters)
    assert dead.value == bad and dead.headers["trace-id"] == b"t-1"
    assert dead.headers["dlq-error-code"] == b"schema-violation"
    assert pipeline.workers[0].poll() is None


async def test_a_dead_letter_over_its_topics_limit_goes_out_without_its_value(make_pipeline):
    """A dead-letter topic left at Kafka's default limit cannot take a dead letter of the
    largest declaration: it goes out without its value (its size and digest in headers,
    dlq-source-* where the original is), and the worker goes on."""
    pipeline = await make_pipeline(dead_letter_config={})
    bad = as_large_as_a_producer_sends("BIG-3").replace(b'"country":"CN"', b'"country":"cn"', 1)
    samples = [SampleMessage(b"BIG-3", bad, "malformed:lower_case_country", None), example_sample()]
    port = pipeline.start_worker()
    sent = await send_all(pipeline.bootstrap, pipeline.declarations, samples)
    records = await collect(pipeline, accounted(pipeline, len(sent)), timeout=60)
    (dead,) = by_topic(records, pipeline.dead_letters)
    assert dead.value is None, pipeline.log_tail(port)
    assert dead.headers["dlq-value-omitted"].startswith(f"{len(bad)} bytes".encode())
    assert dead.headers["dlq-value-sha256"] == hashlib.sha256(bad).hexdigest().encode()
    source = (int(dead.headers["dlq-source-partition"]), int(dead.headers["dlq-source-offset"]))
    assert source == (sent[0].partition, sent[0].offset)
    assert len(by_topic(records, pipeline.assessments)) == 1
    assert "a dead letter of a declaration near that size" in pipeline.log_tail(port, 400)
