"""The published contracts: schemas, examples and AsyncAPI document agree with the code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator
from pydantic import ValidationError

from screener.contract_examples import example_files
from screener.core.intake import RejectCode, Rejection, parse_declaration
from screener.core.policy import Policy
from screener.models import MAX_MESSAGE_BYTES, SCHEMAS, Declaration, alert_id_for
from screener.schemas import schema_files, stale_files
from screener.settings import Settings
from screener.stream.envelopes import Incoming, Output, dead_letter, fitted, record_size
from screener.stream.topics import pipeline_topics
from tests.conftest import screen_statelessly, with_changes

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
EXAMPLES = CONTRACTS / "examples"
MAGNETS = EXAMPLES / "shipment-declaration.magnets-via-th.json"
NOW = datetime(2026, 11, 28, 9, 30, 2, tzinfo=UTC)
TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
MESSAGE_OF_OUTPUT = {Output.ASSESSMENTS: "screeningAssessment", Output.ALERTS: "screeningAlert"}


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def contract_validator(name: str) -> Draft202012Validator:
    schema = load_json(CONTRACTS / f"{name}.v1.schema.json")
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def asyncapi() -> dict[str, Any]:
    return yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text(encoding="utf-8"))


def message(name: str) -> dict[str, Any]:
    return asyncapi()["components"]["messages"][name]


def check(schema: dict[str, Any], instance: Any) -> None:
    """Validate against a schema written in the AsyncAPI document (a draft-07 superset)."""
    Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER).validate(instance)


def as_text(headers: list[tuple[str, bytes]]) -> dict[str, str]:
    return {name: value.decode() for name, value in headers}


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


# --- (a) schemas generated from the models ----------------------------------------------


def test_committed_schemas_are_what_the_models_generate() -> None:
    stale = stale_files(CONTRACTS, schema_files())
    assert not stale, f"contracts out of date: {stale}; run `screener contracts export`"


# --- (b) examples -----------------------------------------------------------------------

CONTRACT_EXAMPLES = sorted(p for p in EXAMPLES.glob("*.json") if p.name.split(".")[0] in SCHEMAS)


def test_every_example_file_names_what_it_must_satisfy() -> None:
    prefixes = {p.name.split(".")[0] for p in EXAMPLES.iterdir()}
    assert prefixes <= {*SCHEMAS, "dead-letter"}
    assert {p.name.split(".")[0] for p in CONTRACT_EXAMPLES} == set(SCHEMAS)


@pytest.mark.parametrize("path", CONTRACT_EXAMPLES, ids=lambda p: p.name)
def test_example_satisfies_its_schema_and_model(path: Path) -> None:
    name = path.name.split(".")[0]
    contract_validator(name).validate(load_json(path))
    SCHEMAS[name].model_validate_json(path.read_bytes())


@pytest.mark.parametrize("name", ["screening-assessment", "screening-alert"])
def test_output_examples_are_exactly_what_the_code_emits(name: str) -> None:
    data = load_json(EXAMPLES / f"{name}.example.json")
    assert SCHEMAS[name].model_validate(data).model_dump(mode="json") == data


def test_output_examples_are_what_the_worker_emits_for_the_example_declaration() -> None:
    generated = example_files(EXAMPLES)
    assert set(generated) == {"screening-alert.example.json", "screening-assessment.example.json"}
    stale = stale_files(EXAMPLES, generated)
    assert not stale, f"examples out of date: {stale}; run `screener contracts export`"


def test_alert_example_is_the_assessment_example_with_its_id_and_subject() -> None:
    alert = load_json(EXAMPLES / "screening-alert.example.json")
    assessment = load_json(EXAMPLES / "screening-assessment.example.json")
    assert alert.pop("alert_id") == alert_id_for(alert["declaration_id"], alert["policy_version"])
    assert alert.pop("subject")["parties"][0]["name"] == "Shanghai Xinda Magnetics Co., Ltd."
    assert "party:consignee:TH:name:siam precision trading" in alert.pop("entities")
    assert alert == assessment


def test_dead_letter_example_matches_the_documented_dead_letter() -> None:
    example = load_json(EXAMPLES / "dead-letter.example.json")
    headers = dict(example["headers"])
    check(message("deadLetter")["headers"], headers)
    check(message("deadLetter")["bindings"]["kafka"]["key"], example["key"])
    rejection = parse_declaration(example["value"].encode())
    assert isinstance(rejection, Rejection)
    assert headers["dlq-error-code"] == rejection.code
    assert headers["dlq-reason"] == rejection.reason


# --- (c) the AsyncAPI document ----------------------------------------------------------


def test_asyncapi_is_3x_and_describes_every_topic() -> None:
    doc = asyncapi()
    assert doc["asyncapi"].startswith("3.")
    addresses = {name: channel["address"] for name, channel in doc["channels"].items()}
    assert sorted(addresses.values()) == sorted(pipeline_topics(Settings.model_construct()))
    operations = {
        name: (op["action"], addresses[op["channel"]["$ref"].rsplit("/", 1)[1]])
        for name, op in doc["operations"].items()
    }
    assert operations == {
        "receiveDeclaration": ("receive", "shipments.declarations.v1"),
        "sendDeadLetter": ("send", "shipments.declarations.dlq.v1"),
        "sendAssessment": ("send", "screening.assessments.v1"),
        "sendAlert": ("send", "screening.alerts.v1"),
        "receiveDisposition": ("receive", "screening.dispositions.v1"),
        "sendDispositionDeadLetter": ("send", "screening.dispositions.dlq.v1"),
    }


def test_asyncapi_refs_resolve() -> None:
    all_refs = refs(asyncapi())
    for ref in all_refs:
        if ref.startswith("#/"):
            node = asyncapi()
            for part in ref[2:].split("/"):
                node = node[part]
        else:
            assert (CONTRACTS / ref).is_file(), f"{ref} does not exist"
    payloads = {m["payload"].get("$ref") for m in asyncapi()["components"]["messages"].values()}
    assert {f"./{name}" for name in schema_files()} <= payloads


def test_documented_error_codes_are_the_reject_codes() -> None:
    documented = message("deadLetter")["headers"]["properties"]["dlq-error-code"]["enum"]
    assert documented == [code.value for code in RejectCode]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param(None, RejectCode.EMPTY, id="no-value"),
        pytest.param(b"x" * (MAX_MESSAGE_BYTES + 1), RejectCode.TOO_LARGE, id="too-large"),
        pytest.param(b'{"schema_version": 1,', RejectCode.INVALID_JSON, id="truncated-json"),
        pytest.param(b'{"schema_version": 2}', RejectCode.UNSUPPORTED_VERSION, id="version-2"),
        pytest.param(b'{"schema_version": 1}', RejectCode.SCHEMA_VIOLATION, id="missing-fields"),
    ],
)
def test_dead_letters_carry_exactly_the_documented_headers(
    value: bytes | None, code: RejectCode
) -> None:
    original = [("traceparent", TRACEPARENT)]
    record = Incoming("shipments.declarations.v1", 3, 18842, None, value, original)
    rejection = parse_declaration(value)
    assert isinstance(rejection, Rejection) and rejection.code == code

    out = dead_letter(record, rejection, NOW)

    documented = message("deadLetter")
    schema = documented["headers"]
    added = [name for name, _ in out.headers[len(original) :]]
    assert out.headers[: len(original)] == original
    assert set(added) == set(schema["required"])
    check(schema, as_text(out.headers))
    check(documented["bindings"]["kafka"]["key"], out.key)
    assert out.value == value  # untouched: no value stays no value


@pytest.mark.parametrize("limit", [3_000, 2_000, 1_200], ids=["value", "headers", "key"])
def test_a_dead_letter_over_its_topics_limit_carries_the_documented_headers(limit: int) -> None:
    original = [("traceparent", TRACEPARENT), ("x-large", b"h" * 1_500)]
    record = Incoming("shipments.declarations.v1", 3, 18842, b"k" * 600, b"x" * 4_000, original)
    out = fitted(dead_letter(record, parse_declaration(record.value), NOW), limit)

    schema = message("deadLetter")["headers"]
    ours = {name for name, _ in out.headers if name.startswith("dlq-")}
    assert set(schema["required"]) < ours <= set(schema["properties"])
    check(schema, as_text(out.headers))
    assert out.value is None and record_size(out) <= limit


# --- (d) published headers --------------------------------------------------------------


@pytest.mark.parametrize(
    "trace",
    [[], [("trace-id", b"order-4711")], [("traceparent", TRACEPARENT)]],
    ids=["no-trace", "trace-id", "traceparent"],
)
def test_published_messages_carry_exactly_the_documented_headers(
    policy: Policy, trace: list[tuple[str, bytes]]
) -> None:
    record = Incoming("shipments.declarations.v1", 0, 1, b"k", MAGNETS.read_bytes(), trace)
    screened = screen_statelessly(record, policy, NOW)

    assert {o.output for o in screened.outgoing} == set(MESSAGE_OF_OUTPUT)
    for out in screened.outgoing:
        documented = message(MESSAGE_OF_OUTPUT[out.output])
        schema, headers = documented["headers"], as_text(out.headers)
        check(schema, headers)
        assert set(headers) == set(schema["properties"] if trace else schema["required"])
        check(documented["bindings"]["kafka"]["key"], out.key.decode())
        payload = json.loads(out.value)
        contract_validator(documented["name"]).validate(payload)
        assert headers["policy-version"] == payload["policy_version"]
        assert headers.get("trace-id") == payload["trace_id"]


def test_asyncapi_header_examples_satisfy_their_schemas() -> None:
    for msg in asyncapi()["components"]["messages"].values():
        for example in msg.get("examples", []):
            check(msg["headers"], example["headers"])


# --- (e) contract edge cases ------------------------------------------------------------


def magnets_with(path: str, value: Any) -> dict[str, Any]:
    """The magnets example with one dotted path ("items.0.hs_code") set to `value`."""
    return with_changes(load_json(MAGNETS), {path: value})


def model_rejects(data: dict[str, Any], at: str) -> None:
    with pytest.raises(ValidationError) as exc:
        # strict, as the worker's intake validates what comes off the wire
        Declaration.model_validate_json(json.dumps(data), strict=True)
    assert at in {".".join(map(str, e["loc"])) for e in exc.value.errors()}


ITEM = load_json(MAGNETS)["items"][0]


@pytest.mark.parametrize(
    ("path", "value", "schema_rejects_too"),
    [
        pytest.param("route.destination_country", "th", True, id="lower-case-country"),
        pytest.param("items.0.hs_code", "8505.11", True, id="hs-code-with-dot"),
        pytest.param("items.0.hs_code", "85051110001", True, id="hs-code-11-digits"),
        # The schema checks the shape (three capitals); only the model knows ISO 4217.
        pytest.param("items.0.value.currency", "XYZ", False, id="unknown-currency"),
        pytest.param("items.0.net_mass_kg", -1.0, True, id="negative-mass"),
        pytest.param("items.0.net_mass_kg", 0, True, id="zero-mass"),
        pytest.param("items", [ITEM] * 1001, True, id="1001-items"),
        pytest.param("priority", "high", True, id="extra-top-level-field"),
    ],
)
def test_declaration_is_rejected(path: str, value: Any, schema_rejects_too: bool) -> None:
    data = magnets_with(path, value)
    model_rejects(data, at=path)
    if schema_rejects_too:
        assert not contract_validator("shipment-declaration").is_valid(data)


def test_null_party_id_is_accepted() -> None:
    data = magnets_with("parties.exporter.id", None)
    contract_validator("shipment-declaration").validate(data)
    assert Declaration.model_validate_json(json.dumps(data)).parties.exporter.id is None


def test_amount_as_string_is_kept_exact() -> None:
    data = magnets_with("items.0.value.amount", "86400.00")
    amount = Declaration.model_validate_json(json.dumps(data)).items[0].value.amount
    assert isinstance(amount, Decimal) and str(amount) == "86400.00"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("schema_version", True),
        ("items.0.line", True),
        ("items.0.net_mass_kg", "1200"),
        ("declared_at", 1764322200),
        ("documents.0.issued_at", 0),
    ],
)
def test_model_rejects_what_the_schema_rejects(path: str, value: Any) -> None:
    data = magnets_with(path, value)
    assert not contract_validator("shipment-declaration").is_valid(data)
    model_rejects(data, at=path)
