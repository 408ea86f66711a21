"""Shared test helpers: the policy in force and declarations built from the contract example."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from screener.core.policy import Policy, load_policy
from screener.models import Declaration

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "contracts/examples/shipment-declaration.magnets-via-th.json"

# An ordinary, clean shipment: licensed magnets from China straight to Japan.
CLEAN = {
    "parties.consignee": {
        "id": "JP-1234",
        "name": "Kansai Motor Works K.K.",
        "country": "JP",
        "address": "2-1 Nakanoshima, Osaka",
    },
    "route.destination_country": "JP",
    "route.port_of_discharge": "JPOSA",
    "route.final_destination_country": None,
    "items.0.licence_ref": "MOFCOM-EL-2026-77812",
    "documents": [
        {"type": "commercial_invoice", "number": "INV-88231", "issuing_country": "CN"},
        {"type": "export_licence", "number": "MOFCOM-EL-2026-77812", "issuing_country": "CN"},
    ],
    "payment.payer_country": "JP",
    "amendments": [],
}


def example_dict() -> dict[str, Any]:
    return orjson.loads(EXAMPLE.read_bytes())


def with_changes(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Copy of `base` with dotted paths ("items.0.hs_code") set to new values."""
    result = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return result


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture
def declaration() -> Callable[..., Declaration]:
    """declaration(clean=True, **{"route.transit_countries": ["TH"]}) -> Declaration"""

    def build(clean: bool = False, /, **changes: Any) -> Declaration:
        base = with_changes(example_dict(), CLEAN) if clean else example_dict()
        return Declaration.model_validate(with_changes(base, changes))

    return build


def screen_statelessly(record, policy: Policy, now):
    """accept -> assess without history -> verdict: what the worker publishes for a record
    whose entities have no history yet."""
    from screener.core.assess import assess
    from screener.stream.envelopes import Screened, accept, trace_id_of, verdict

    accepted = accept(record, now)
    if isinstance(accepted, Screened):
        return accepted
    assessment = assess(accepted, policy, assessed_at=now, trace_id=trace_id_of(record.headers))
    return verdict(assessment, policy, accepted)
