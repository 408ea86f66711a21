"""What one consumed record becomes: the messages to publish, with their keys and headers.

Pure (no Kafka client): the worker sends what these return and only then lets the input
offset be committed, so each record ends as one assessment (plus an alert when it scores
high enough) or one dead letter.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

from screener.core.assess import alert_for
from screener.core.intake import MAX_REASON_CHARS, RejectCode, Rejection, parse_declaration
from screener.core.policy import Policy
from screener.models import Alert, Assessment, Contract, Declaration

CONTENT_TYPE = b"application/json"
Headers = list[tuple[str, bytes]]


class Output(StrEnum):
    ASSESSMENTS = "assessments"
    ALERTS = "alerts"
    DEAD_LETTERS = "dead_letters"
    DISPOSITION_DEAD_LETTERS = "disposition_dead_letters"


@dataclass(frozen=True)
class Incoming:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default_factory=list)
    timestamp: float | None = None  # Kafka record timestamp, seconds


@dataclass(frozen=True)
class Outgoing:
    output: Output
    key: bytes | None
    value: bytes | None  # None only for a dead letter of a record that had no value
    headers: Headers


@dataclass(frozen=True)
class Screened:
    outgoing: list[Outgoing]
    assessment: Assessment | None = None
    alert: Alert | None = None
    rejection: Rejection | None = None


def header(headers: Headers, name: str) -> bytes | None:
    return next((v for k, v in headers if k.lower() == name), None)


MAX_TRACE_ID = 128
_W3C_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


def trace_id_of(headers: Headers) -> str | None:
    """`trace-id` as sent (at most 128 characters), else the trace id of a W3C `traceparent`."""
    if raw := header(headers, "trace-id"):
        return raw.decode("utf-8", "replace")[:MAX_TRACE_ID]
    if parent := header(headers, "traceparent"):
        parts = parent.decode("ascii", "replace").split("-")
        if len(parts) == 4 and _W3C_TRACE_ID.match(parts[1]):
            return parts[1]
    return None


def encode(message: Contract) -> bytes:
    return orjson.dumps(message.model_dump(mode="json"))


def _published_headers(schema: str, policy: Policy, trace_id: str | None) -> Headers:
    headers = [
        ("content-type", CONTENT_TYPE),
        ("schema", f"{schema}/1".encode()),
        ("policy-version", policy.version.encode()),
    ]
    return headers + ([("trace-id", trace_id.encode())] if trace_id else [])


def dead_letter(
    record: Incoming,
    rejection: Rejection,
    received_at: datetime,
    output: Output = Output.DEAD_LETTERS,
    expected: bytes = b"shipment-declaration/1",
) -> Outgoing:
    """The original bytes, untouched, with headers that say what was wrong and where it was."""
    # Earlier dlq-* headers (a dead letter replayed and refused again) would contradict ours.
    original = [(k, v) for k, v in record.headers if not k.lower().startswith("dlq-")]
    headers = [
        *original,
        ("dlq-error-code", rejection.code.value.encode()),
        ("dlq-reason", rejection.reason.encode()),
        ("dlq-source-topic", record.topic.encode()),
        ("dlq-source-partition", str(record.partition).encode()),
        ("dlq-source-offset", str(record.offset).encode()),
        ("dlq-received-at", received_at.isoformat().encode()),
        ("dlq-expected-schema", expected),
    ]
    return Outgoing(output, record.key, record.value, headers)


RECORD_OVERHEAD = 512  # bytes of a record batch beyond its key, value and headers, rounded up


def record_size(o: Outgoing) -> int:
    """An upper bound of the bytes `o` takes on the broker."""
    sizes = (len(k.encode()) + len(v) + 8 for k, v in o.headers)
    return len(o.key or b"") + len(o.value or b"") + sum(sizes) + RECORD_OVERHEAD


def fitted(dead: Outgoing, limit: int) -> Outgoing:
    """A dead letter the dead-letter topic can take (records up to `limit` bytes). Over it,
    the value is left out (then the original headers, if still over) rather than the worker
    stopped at the record after every restart; the headers give the value's size and
    SHA-256, and dlq-source-* where the original is."""
    if record_size(dead) <= limit:
        return dead
    value = dead.value or b""
    noted = [
        *dead.headers,
        ("dlq-value-omitted", f"{len(value)} bytes, over this topic's limit".encode()),
        ("dlq-value-sha256", hashlib.sha256(value).hexdigest().encode()),
    ]
    ours = [(k, v) for k, v in noted if k.startswith("dlq-")]
    ours.append(("dlq-headers-omitted", b"true"))
    for smaller in (
        Outgoing(dead.output, dead.key, None, noted),
        Outgoing(dead.output, dead.key, None, ours),
    ):
        if record_size(smaller) <= limit:
            return smaller
    return Outgoing(dead.output, None, None, [*ours, ("dlq-key-omitted", b"true")])


def accept(record: Incoming, now: datetime | None = None) -> Declaration | Screened:
    """The record's declaration, or its dead letter (as a `Screened` with the rejection)."""
    parsed = parse_declaration(record.value)
    if isinstance(parsed, Rejection):
        return Screened([dead_letter(record, parsed, now or datetime.now(UTC))], rejection=parsed)
    return parsed


def origin_of(record: Incoming) -> dict[str, Any]:
    """What a later agent needs to dead-letter the record: where it was, its key and headers
    (bytes as latin-1 text, which gives every byte back)."""
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": None if record.key is None else record.key.decode("latin-1"),
        "headers": [[k, v.decode("latin-1")] for k, v in record.headers],
    }


def incoming_from(origin: dict[str, Any], value: bytes) -> Incoming:
    key = origin["key"]
    return Incoming(
        origin["topic"],
        origin["partition"],
        origin["offset"],
        None if key is None else key.encode("latin-1"),
        value,
        [(k, v.encode("latin-1")) for k, v in origin["headers"]],
    )


def dead_disposition(
    record: Incoming, rejection: Rejection, now: datetime | None = None
) -> Outgoing:
    """The dead letter of a disposition, on the dispositions' own dead-letter topic."""
    return dead_letter(
        record,
        rejection,
        now or datetime.now(UTC),
        Output.DISPOSITION_DEAD_LETTERS,
        b"screening-disposition/1",
    )


def failed(record: Incoming, exc: Exception, now: datetime | None = None) -> Screened:
    """The dead letter of a valid declaration that screener failed on: the rest of its batch
    goes on, and this one is not lost but set aside with the error."""
    reason = f"{type(exc).__name__}: {exc}"[:MAX_REASON_CHARS]
    rejection = Rejection(RejectCode.PROCESSING_ERROR, reason)
    return Screened([dead_letter(record, rejection, now or datetime.now(UTC))], rejection=rejection)


def verdict(
    assessment: Assessment,
    policy: Policy,
    declaration: Declaration,
    entities: Sequence[str] | None = None,
) -> Screened:
    """The assessment of `declaration` to publish, and the alert too when it reaches the
    threshold (`entities`: as `alert_for` takes them)."""
    key = assessment.declaration_id.encode()
    trace_id = assessment.trace_id
    outgoing = [
        Outgoing(
            Output.ASSESSMENTS,
            key,
            encode(assessment),
            _published_headers("screening-assessment", policy, trace_id),
        )
    ]
    alert = alert_for(assessment, policy, declaration, entities)
    if alert is not None:
        outgoing.append(
            Outgoing(
                Output.ALERTS,
                key,
                encode(alert),
                _published_headers("screening-alert", policy, trace_id),
            )
        )
    return Screened(outgoing, assessment=assessment, alert=alert)
