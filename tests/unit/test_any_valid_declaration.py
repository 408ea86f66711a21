"""Every declaration the contract accepts is screened: no valid input may crash a step.

A crash on a valid declaration is worse than a wrong score: in the worker, screen sets it
aside as a `processing-error` dead letter, but a history or gather batch that raises stops
the worker, which reads the same batch again after the restart. So hypothesis draws
declarations anywhere inside the contract's bounds (edge values, any text, any offsets,
controlled goods through hubs, parties sharing names and documents) and each goes the
worker's way: bytes -> intake -> scatter -> entity events and features across the hops ->
history rows -> the declaration across the gather hop -> assess -> what is published.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pycountry
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from screener.core.assess import alert_for, assess
from screener.core.history import EntityEvent, HistorySnapshot, scatter
from screener.core.history.state import EntityRow, RowBatch, encode_row
from screener.core.intake import Rejection, parse_declaration
from screener.core.policy import Policy, load_policy
from screener.models import (
    MAX_PARTIES_TEXT,
    Alert,
    Assessment,
    DeclarationType,
    DocumentType,
    PaymentMethod,
    TransportMode,
)
from screener.stream.envelopes import verdict

POLICY = load_policy()
COUNTRIES = sorted(c.alpha_2 for c in pycountry.countries)
CURRENCIES = sorted(c.alpha_3 for c in pycountry.currencies)
# The policy's hubs and HS prefixes (controlled goods and what they hide behind), often, so
# that the paths that score are taken as well as the clean ones.
HUBS = sorted({c for hubs in POLICY.document.hub_sets.values() for c in hubs})
POLICY_HS = sorted(
    {p.ljust(6, "0") for g in POLICY.document.commodity_groups.values() for p in g.hs_prefixes}
    | {p.ljust(6, "0") for p in POLICY.document.unit_values_usd_per_kg}
)

# Text as producers send it: letters of any script, digits, punctuation, spaces, marks.
text_chars = st.characters(categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters="\x00")


def text(max_size: int) -> st.SearchStrategy[str]:
    # The contract strips surrounding whitespace and then wants at least one character.
    return st.text(text_chars, min_size=1, max_size=max_size).filter(lambda s: s.strip())


identifiers = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:/#-]{0,40}\Z")
countries = st.one_of(st.sampled_from(HUBS), st.sampled_from(COUNTRIES))
hs_codes = st.one_of(st.sampled_from(POLICY_HS), st.from_regex(r"\A[0-9]{6,10}\Z"))
locodes = st.from_regex(r"\A[A-Z]{2}[A-Z0-9]{3}\Z")
offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda m: timezone(timedelta(minutes=m))
)
# Any instant of the contract, mostly near the policies' effective times.
moments = st.one_of(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31)),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
)


@st.composite
def instants(draw: st.DrawFn) -> str:
    return draw(moments).replace(tzinfo=draw(offsets)).isoformat()


def decimals(places: int, minimum: str) -> st.SearchStrategy[str]:
    """Decimal strings of at most 18 digits, `places` of them after the point."""
    return st.decimals(
        min_value=Decimal(minimum),
        max_value=Decimal(10 ** (18 - places)) - 1,
        places=places,
        allow_nan=False,
        allow_infinity=False,
    ).map(str)


@st.composite
def parties(draw: st.DrawFn, pool: list[dict[str, Any]]) -> dict[str, Any]:
    """A party: often one of the pool (repeat business, shared names and addresses)."""
    if pool and draw(st.booleans()):
        return draw(st.sampled_from(pool))
    return {
        "id": draw(st.none() | identifiers),
        "name": draw(text(MAX_PARTIES_TEXT)),
        "country": draw(countries),
        "address": draw(st.none() | text(300)),
    }


@st.composite
def declarations(draw: st.DrawFn, pool: list[dict[str, Any]], numbers: list[str]) -> bytes:
    def maybe_party() -> dict[str, Any] | None:
        return draw(st.none() | parties(pool))

    item_count = draw(st.integers(min_value=1, max_value=6))
    items = [
        {
            "line": draw(st.integers(min_value=1, max_value=1000)),
            "hs_code": draw(hs_codes),
            "description": draw(text(200)),
            "quantity": draw(decimals(6, "0.000001")),
            "quantity_unit": draw(text(16)).strip()[:16] or "kg",
            "net_mass_kg": draw(
                st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False)
            ),
            "value": {
                "amount": draw(decimals(2, "0")),
                "currency": draw(st.sampled_from(CURRENCIES)),
            },
            "origin_country": draw(countries),
            "licence_ref": draw(st.none() | identifiers),
        }
        for _ in range(item_count)
    ]
    documents = [
        {
            "type": draw(st.sampled_from(list(DocumentType))).value,
            "number": draw(st.sampled_from(numbers) | text(64)),
            "issuing_country": draw(countries),
            "issued_at": draw(st.none() | st.dates(date(1, 1, 2), date(9999, 12, 30)).map(str)),
        }
        for _ in range(draw(st.integers(min_value=0, max_value=4)))
    ]
    message = {
        "schema_version": 1,
        "declaration_id": draw(identifiers),
        "declared_at": draw(instants()),
        "declaration_type": draw(st.sampled_from(list(DeclarationType))).value,
        "customs_office": draw(locodes),
        "parties": {
            "exporter": draw(parties(pool)),
            "consignee": draw(parties(pool)),
            "notify_party": maybe_party(),
            "freight_forwarder": maybe_party(),
            "end_user": maybe_party(),
            "declarant": maybe_party(),
        },
        "route": {
            "origin_country": draw(countries),
            "dispatch_country": draw(countries),
            "port_of_loading": draw(st.none() | locodes),
            "transit_countries": draw(st.lists(countries, max_size=20)),
            "port_of_discharge": draw(st.none() | locodes),
            "destination_country": draw(countries),
            "final_destination_country": draw(st.none() | countries),
            "transport_mode": draw(st.sampled_from(list(TransportMode))).value,
        },
        "items": items,
        "documents": documents,
        "payment": draw(
            st.none()
            | st.fixed_dictionaries(
                {
                    "method": st.sampled_from(list(PaymentMethod)).map(lambda m: m.value),
                    "payer_country": countries,
                }
            )
        ),
        "amendments": [
            {
                "field": draw(st.from_regex(r"\A[a-z_]{1,20}(\.[a-z_0-9]{1,10}){0,3}\Z")),
                "amended_at": draw(instants()),
            }
            for _ in range(draw(st.integers(min_value=0, max_value=3)))
        ],
    }
    return orjson.dumps(message)


@st.composite
def streams(draw: st.DrawFn) -> list[bytes]:
    """A few declarations sharing parties and document numbers, so that history matters."""
    pool = draw(st.lists(parties([]), min_size=1, max_size=3))
    numbers = draw(st.lists(text(64), min_size=1, max_size=2))
    return draw(st.lists(declarations(pool, numbers), min_size=1, max_size=5))


def across(value: Any) -> Any:
    """What the other side of a hop reads: the value as JSON and back."""
    return orjson.loads(orjson.dumps(value))


def screened_as_the_worker_does(
    raw: bytes, rows: dict[str, EntityRow], policy: Policy
) -> Assessment:
    parsed = parse_declaration(raw)
    assert not isinstance(parsed, Rejection), parsed.reason
    declaration = parsed

    # screen: scatter, the declaration and its entity events across their hops
    events = [EntityEvent.from_dict(across(e.to_dict())) for e in scatter(declaration, policy)]
    gathered = parse_declaration(across(raw.decode("latin-1")).encode("latin-1"))
    assert gathered == declaration

    # history: features before, the declaration applied; rows stored as JSON and read back
    batch = RowBatch(lambda key: encode_row(rows[key]) if key in rows else None)
    features = [across(batch.update(e, (0, n))[0]) for n, e in enumerate(events)]
    for key, row in batch.touched().items():
        rows[key] = EntityRow.from_dict(orjson.loads(encode_row(row)))
        assert encode_row(rows[key]) == encode_row(row)

    # gather: assess, and what is published keeps its contracts
    assessment = assess(gathered, policy, HistorySnapshot.of(features), trace_id="t")
    assert 0 <= assessment.score <= 100
    screened = verdict(assessment, policy, gathered)
    for outgoing in screened.outgoing:
        contract = Alert if outgoing.output.value == "alerts" else Assessment
        contract.model_validate_json(outgoing.value)
    if alert_for(assessment, policy, declaration) is not None:
        at = int(declaration.declared_at.timestamp())
        for key in {e.key for e in events}:
            rows[key].record_alert(declaration.declaration_id, at)
    return assessment


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(stream=streams())
def test_every_valid_declaration_is_screened(stream: list[bytes]) -> None:
    rows: dict[str, EntityRow] = {}
    for raw in stream:
        assessment = screened_as_the_worker_does(raw, rows, POLICY)
        event(f"severity {assessment.severity}")  # --hypothesis-show-statistics


@pytest.mark.parametrize("year", [1, 1970, 9999])
def test_declarations_far_from_any_policy_are_screened(year, declaration, policy) -> None:
    at = datetime(year, 1, 2, tzinfo=UTC) if year < 9999 else datetime(year, 12, 30, tzinfo=UTC)
    raw = declaration().model_copy(update={"declared_at": at}).model_dump_json().encode()
    screened_as_the_worker_does(raw, {}, policy)
