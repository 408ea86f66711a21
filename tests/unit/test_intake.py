"""Bad input gets a clear answer: a stable code and a reason a person can act on."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.core.intake import MAX_REASON_CHARS, RejectCode, Rejection, parse_declaration
from screener.models import MAX_MESSAGE_BYTES, Declaration
from screener.stream.envelopes import Incoming, accept
from tests.conftest import EXAMPLE, example_dict, with_changes


def rejected(raw: bytes | None) -> Rejection:
    result = parse_declaration(raw)
    assert isinstance(result, Rejection), result
    return result


def test_the_example_parses():
    assert isinstance(parse_declaration(EXAMPLE.read_bytes()), Declaration)


@pytest.mark.parametrize("raw", [None, b""])
def test_empty(raw):
    assert rejected(raw).code is RejectCode.EMPTY


@pytest.mark.parametrize(
    "raw", [b"CN-EXP-1,8505111000,1200", b'{"schema_version": 1,', b"\xff\xfe\x00"]
)
def test_not_json(raw):
    r = rejected(raw)
    assert r.code is RejectCode.INVALID_JSON and r.reason.startswith("not valid JSON")


def test_json_that_is_not_an_object():
    assert rejected(b"[1, 2]").code is RejectCode.SCHEMA_VIOLATION


def test_a_future_schema_version_is_named():
    r = rejected(orjson.dumps(with_changes(example_dict(), {"schema_version": 2})))
    assert r.code is RejectCode.UNSUPPORTED_VERSION and "'2'" in r.reason


def test_schema_violation_says_where_and_what_was_sent():
    bad = with_changes(
        example_dict(), {"items.0.hs_code": "85.05.11", "route.destination_country": "Thailand"}
    )
    r = rejected(orjson.dumps(bad))
    assert r.code is RejectCode.SCHEMA_VIOLATION
    assert "items.0.hs_code" in r.reason and "'85.05.11'" in r.reason
    assert "route.destination_country" in r.reason


def test_many_errors_are_summarised():
    r = rejected(b'{"schema_version": 1}')
    assert "and 2 more" in r.reason and len(r.reason) <= 1000


def test_oversized_messages_are_refused_before_parsing():
    r = rejected(b"{" + b" " * MAX_MESSAGE_BYTES + b"}")
    assert r.code is RejectCode.TOO_LARGE


# --- anything a producer may send ---------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
EXAMPLE_PATHS = [
    "schema_version",
    "declaration_id",
    "declared_at",
    "parties.consignee",
    "parties.consignee.country",
    "route",
    "route.transit_countries",
    "items",
    "items.0.quantity",
    "items.0.net_mass_kg",
    "items.0.value.amount",
    "documents",
    "payment",
    "amendments",
]


def answered_whatever_it_is(raw: bytes) -> None:
    """A declaration, or one dead letter of the bytes as sent with a reason; never a raise."""
    accepted = accept(Incoming("declarations", 0, 7, None, raw, [("trace-id", b"t")]))
    if isinstance(accepted, Declaration):
        return
    (dead,) = accepted.outgoing
    assert dead.value == raw
    headers = dict(dead.headers)
    assert headers["dlq-error-code"].decode() in {code.value for code in RejectCode}
    assert 0 < len(headers["dlq-reason"].decode()) <= 4 * MAX_REASON_CHARS


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=300))
def test_any_bytes_get_an_answer(raw):
    answered_whatever_it_is(raw)


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(EXAMPLE_PATHS), value=json_values)
def test_the_example_with_any_json_in_one_place_gets_an_answer(path, value):
    # json, not orjson: a producer may send integers beyond 64 bits
    answered_whatever_it_is(json.dumps(with_changes(example_dict(), {path: value})).encode())
