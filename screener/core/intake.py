"""Intake: raw Kafka bytes to a validated declaration, or a rejection that says why.

A rejection carries a stable code (for dead-letter headers and metrics) and a reason a
person can act on. Nothing here raises on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from pydantic import ValidationError

from screener.models import MAX_MESSAGE_BYTES, Contract, Declaration

MAX_REASON_CHARS = 1000
MAX_REASONS = 5
C = TypeVar("C", bound=Contract)


class RejectCode(StrEnum):
    EMPTY = "empty-message"
    TOO_LARGE = "message-too-large"
    INVALID_JSON = "invalid-json"
    UNSUPPORTED_VERSION = "unsupported-schema-version"
    SCHEMA_VIOLATION = "schema-violation"
    # Valid, but screener failed on it: a defect of screener's, named in the reason. The
    # declaration can be replayed from its dead letter once the defect is fixed.
    PROCESSING_ERROR = "processing-error"
    # A disposition of an alert screener has not published (or not yet noted): a wrong id,
    # or an alert of another deployment. Send it again with the right one.
    UNKNOWN_ALERT = "unknown-alert"


@dataclass(frozen=True)
class Rejection:
    code: RejectCode
    reason: str


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False)[:MAX_REASONS]:
        where = ".".join(str(p) for p in err["loc"]) or "(message)"
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f" (got {str(got)[:60]!r})"
        parts.append(f"{where}: {err['msg']}{shown}")
    more = exc.error_count() - len(parts)
    text = "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
    return text[:MAX_REASON_CHARS]


def parse_declaration(raw: bytes | None) -> Declaration | Rejection:
    return parse_contract(raw, Declaration)


def parse_contract(raw: bytes | None, contract: type[C]) -> C | Rejection:
    """A message of `contract` (version 1), or why it is not one."""
    name = contract.model_config.get("title")
    if not raw:
        return Rejection(RejectCode.EMPTY, "message value is empty")
    if len(raw) > MAX_MESSAGE_BYTES:
        return Rejection(
            RejectCode.TOO_LARGE, f"message is {len(raw)} bytes, the limit is {MAX_MESSAGE_BYTES}"
        )
    try:
        # strict: no coercion of the wire format ("1200" is not a mass, true is not 1)
        return contract.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if any(e["type"] == "json_invalid" for e in errors):
            return Rejection(
                RejectCode.INVALID_JSON, f"not valid JSON: {errors[0]['msg']}"[:MAX_REASON_CHARS]
            )
        if errors[0]["type"] == "model_type" or errors[0]["loc"] == ():
            return Rejection(RejectCode.SCHEMA_VIOLATION, f"a {name} must be a JSON object")
        version = next((e for e in errors if e["loc"] == ("schema_version",)), None)
        if version is not None and version["type"] == "literal_error":
            return Rejection(
                RejectCode.UNSUPPORTED_VERSION,
                f"schema_version {str(version.get('input'))[:20]!r} is not supported; "
                f"this topic carries {name} v1",
            )
        return Rejection(RejectCode.SCHEMA_VIOLATION, _describe(exc))
