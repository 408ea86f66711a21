"""What one record becomes: keys, values and headers of everything published for it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import orjson

from screener.models import Alert, Assessment
from screener.stream.envelopes import (
    Incoming,
    Output,
    failed,
    fitted,
    record_size,
    trace_id_of,
)
from tests.conftest import EXAMPLE, screen_statelessly

NOW = datetime(2026, 11, 28, 10, tzinfo=UTC)


def record(value: bytes | None, headers=None, key: bytes | None = b"k") -> Incoming:
    return Incoming("shipments.declarations.v1", 4, 1234, key, value, headers or [])


def test_a_high_scoring_declaration_yields_an_assessment_and_an_alert(policy):
    screened = screen_statelessly(record(EXAMPLE.read_bytes(), [("trace-id", b"abc")]), policy, NOW)
    assessment, alert = screened.outgoing
    assert [o.output for o in screened.outgoing] == [Output.ASSESSMENTS, Output.ALERTS]
    assert assessment.key == alert.key == b"CN-EXP-2026-0000123"
    assert dict(assessment.headers) == {
        "content-type": b"application/json",
        "schema": b"screening-assessment/1",
        "policy-version": policy.version.encode(),
        "trace-id": b"abc",
    }
    assert dict(alert.headers)["schema"] == b"screening-alert/1"
    assert Assessment.model_validate_json(assessment.value).assessed_at == NOW
    assert Alert.model_validate_json(alert.value).alert_id == screened.alert.alert_id


def test_a_low_scoring_declaration_yields_only_an_assessment(policy):
    clean = orjson.loads(EXAMPLE.read_bytes())
    clean["route"].update(destination_country="JP", final_destination_country=None)
    clean["items"][0]["licence_ref"] = "EL-1"
    clean["documents"].append({"type": "export_licence", "number": "EL-1", "issuing_country": "CN"})
    clean["payment"]["payer_country"] = "JP"
    clean["amendments"] = []
    clean["parties"]["consignee"].update(
        name="Kansai Motor Works K.K.", country="JP", address="2-1 Nakanoshima, Osaka"
    )
    screened = screen_statelessly(record(orjson.dumps(clean)), policy, NOW)
    assert [o.output for o in screened.outgoing] == [Output.ASSESSMENTS]
    assert screened.alert is None and screened.assessment.score == 0


def test_a_malformed_record_becomes_one_dead_letter_with_its_bytes_untouched(policy):
    raw = b"\x00\x01 not a declaration"
    screened = screen_statelessly(record(raw, [("trace-id", b"t1")], key=None), policy, NOW)
    (dead,) = screened.outgoing
    headers = dict(dead.headers)
    assert dead.output is Output.DEAD_LETTERS and dead.value == raw and dead.key is None
    assert headers["trace-id"] == b"t1"  # the producer's own headers are kept
    assert headers["dlq-error-code"] == b"invalid-json"
    assert headers["dlq-source-topic"] == b"shipments.declarations.v1"
    assert (headers["dlq-source-partition"], headers["dlq-source-offset"]) == (b"4", b"1234")
    assert headers["dlq-received-at"] == NOW.isoformat().encode()


def test_a_valid_declaration_screener_failed_on_is_set_aside_as_a_dead_letter():
    raw = EXAMPLE.read_bytes()
    screened = failed(record(raw, [("trace-id", b"t2")]), KeyError("hs6:850511"), NOW)
    (dead,) = screened.outgoing
    headers = dict(dead.headers)
    assert dead.output is Output.DEAD_LETTERS and dead.value == raw and dead.key == b"k"
    assert headers["dlq-error-code"] == b"processing-error"
    assert headers["dlq-reason"] == b"KeyError: 'hs6:850511'"
    assert headers["trace-id"] == b"t2"
    assert (headers["dlq-source-partition"], headers["dlq-source-offset"]) == (b"4", b"1234")


def dead_letter_of(value: bytes, headers=(), key: bytes | None = b"k"):
    (dead,) = failed(record(value, list(headers), key), ValueError("x"), NOW).outgoing
    return dead


def test_a_dead_letter_within_its_topics_limit_is_left_whole():
    dead = dead_letter_of(b"v" * 10_000, [("trace-id", b"t")])
    assert record_size(dead) > 10_000
    assert fitted(dead, record_size(dead)) == dead


def test_a_dead_letter_over_its_topics_limit_goes_without_its_value_then_its_headers():
    value = b"v" * 10_000
    dead = dead_letter_of(value, [("trace-id", b"t"), ("big", b"h" * 5_000)])

    smaller = fitted(dead, 9_000)
    headers = dict(smaller.headers)
    assert smaller.value is None and smaller.key == b"k" and record_size(smaller) <= 9_000
    assert headers["trace-id"] == b"t" and headers["dlq-error-code"] == b"processing-error"
    assert headers["dlq-value-omitted"] == b"10000 bytes, over this topic's limit"
    assert headers["dlq-value-sha256"] == hashlib.sha256(value).hexdigest().encode()
    assert (headers["dlq-source-partition"], headers["dlq-source-offset"]) == (b"4", b"1234")

    smallest = fitted(dead, 3_000)
    headers = dict(smallest.headers)
    assert "trace-id" not in headers and "big" not in headers and record_size(smallest) <= 3_000
    assert headers["dlq-headers-omitted"] == b"true" and smallest.key == b"k"
    assert headers["dlq-value-sha256"] == hashlib.sha256(value).hexdigest().encode()

    huge_key = dead_letter_of(value, key=b"k" * 5_000)
    keyless = fitted(huge_key, 3_000)
    assert keyless.key is None and dict(keyless.headers)["dlq-key-omitted"] == b"true"


def test_trace_id_from_trace_id_or_traceparent():
    assert trace_id_of([("Trace-Id", b"x")]) == "x"
    parent = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert trace_id_of([("traceparent", parent)]) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id_of([]) is None
