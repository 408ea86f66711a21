"""The world simulator: deterministic, contract-valid, labelled apart, and shaped like trade."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from screener.core.intake import Rejection, parse_declaration
from screener.sim.schemes import SCHEMES
from screener.sim.traffic import (
    TrafficSpec,
    allocate,
    read_labels,
    simulate,
    write_labels,
    write_stream,
)
from screener.sim.world import WorldSize, build_world

SMALL = WorldSize(exporters=300, consignees=600, forwarders=40)


def spec(**changes) -> TrafficSpec:
    base = {"count": 1200, "per_day": 100.0, "seed": 3, "world": SMALL, "warmup_days": 2.0}
    return TrafficSpec(**(base | changes))


@pytest.fixture(scope="module")
def stream():
    return simulate(spec(planted_share=0.1))


# --- determinism ---------------------------------------------------------------------------


def test_same_spec_gives_identical_bytes(stream) -> None:
    assert simulate(spec(planted_share=0.1)) == stream


def test_another_seed_gives_other_traffic(stream) -> None:
    other = simulate(spec(planted_share=0.1, seed=4))
    assert [r.value for r in other] != [r.value for r in stream]


# --- contract and labels -------------------------------------------------------------------


def test_every_ordinary_and_planted_line_passes_the_contract(stream) -> None:
    for record in stream:
        declaration = parse_declaration(record.value)
        assert not isinstance(declaration, Rejection), (record.label, declaration)
        assert declaration.declaration_id == record.declaration_id
        assert record.key == record.declaration_id.encode()


def test_malformed_lines_fail_it_and_say_so_in_their_label() -> None:
    records = simulate(spec(malformed_share=0.05))
    broken = [r for r in records if r.label.startswith("malformed:")]
    assert len(broken) == 60
    assert all(isinstance(parse_declaration(r.value), Rejection) for r in broken)


def test_file_mode_has_no_malformed_lines_unless_asked(stream) -> None:
    assert not any(r.label.startswith("malformed:") for r in stream)


def test_labels_go_to_their_own_file_and_never_into_the_messages(stream, tmp_path) -> None:
    for name in ("labels.csv", "labels.jsonl"):
        path = tmp_path / name
        write_labels(stream, path)
        labels = read_labels(path)
        assert [(x.line, x.declaration_id, x.label, x.superseded) for x in labels] == [
            (n, r.declaration_id, r.label, r.superseded) for n, r in enumerate(stream, start=1)
        ]
        assert any(x.superseded for x in labels)
    with (tmp_path / "stream.jsonl").open("wb") as handle:
        assert write_stream(stream, handle) == len(stream)
    text = (tmp_path / "stream.jsonl").read_bytes()
    assert len(text.splitlines()) == len(stream)
    for word in ("ordinary", "planted", *SCHEMES):
        assert word.encode() not in text


def test_planted_share_and_scheme_weights_are_kept(stream) -> None:
    labels = Counter(r.label for r in stream if not r.superseded)  # declarations, not lines
    live = sum(not r.warmup and not r.superseded for r in stream)
    planted = sum(n for label, n in labels.items() if label in SCHEMES)
    assert planted == round(1200 * (1 - 2 / 12) * 0.1) == 100
    assert abs(planted / live - 0.1) < 0.03
    assert set(labels) == {"ordinary", *SCHEMES}
    only = simulate(spec(planted_share=0.1, scheme_weights={"structuring": 3, "undervaluation": 1}))
    counts = Counter(r.label for r in only if r.label != "ordinary")
    assert counts == {"structuring": 75, "undervaluation": 25}


def test_nothing_is_planted_in_the_warm_up(stream) -> None:
    assert all(r.label == "ordinary" for r in stream if r.warmup and not r.superseded)
    assert sum(r.warmup for r in stream) > 100


def test_bad_specs_are_refused() -> None:
    for bad in (
        {"count": -1},
        {"planted_share": 1.5},
        {"scheme_weights": {"no_such_scheme": 1}},
        {"scheme_weights": {"structuring": 0}},
        {"warmup_days": 30.0},  # longer than the 12 days of the stream
    ):
        with pytest.raises(ValueError):
            simulate(spec(**bad))


def test_allocation_adds_up_exactly() -> None:
    assert allocate(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert allocate(7, {"a": 3, "b": 0}) == {"a": 7, "b": 0}


# --- amendments ----------------------------------------------------------------------------


def test_an_amended_declaration_comes_after_its_first_version_under_its_id(stream) -> None:
    """The contract asks senders to publish a declaration again for each amendment."""
    later = {r.declaration_id: r for r in stream if not r.superseded}
    firsts = [r for r in stream if r.superseded]
    assert sum(r.label == "ordinary" for r in firsts) > 0.05 * len(later)
    for first in firsts:
        amended = later[first.declaration_id]
        assert (amended.label, amended.key) == (first.label, first.key)
        assert first.declared_at < amended.declared_at
        old, new = orjson.loads(first.value), orjson.loads(amended.value)
        assert not old["amendments"] and new["amendments"]
        changed = min(a["amended_at"] for a in new["amendments"])
        assert old["declared_at"] < changed < new["declared_at"]
        assert all(d["issued_at"] <= old["declared_at"][:10] for d in old["documents"])
        assert any(d["type"] == "commercial_invoice" for d in old["documents"])
        if first.label == "ordinary":  # the same papers, less those issued since
            assert all(d in new["documents"] for d in old["documents"])
    ids = Counter(r.declaration_id for r in stream)
    assert set(ids.values()) == {1, 2}
    assert sum(n == 2 for n in ids.values()) == len(firsts)


def test_a_late_amendment_re_addresses_the_usual_buyers_shipment(stream) -> None:
    firsts = {r.declaration_id: r for r in stream if r.superseded}
    amended = [r for r in stream if r.label == "late_consignee_amendment" and not r.superseded]
    assert amended and all(r.declaration_id in firsts for r in amended)
    for r in amended:
        old, new = orjson.loads(firsts[r.declaration_id].value), orjson.loads(r.value)
        assert old["parties"]["consignee"] != new["parties"]["consignee"]
        assert old["parties"]["exporter"] == new["parties"]["exporter"]
        assert old["items"][0]["hs_code"] == new["items"][0]["hs_code"]
        assert old["items"][0]["licence_ref"]  # booked under the relationship's licence
        fields = {a["field"] for a in new["amendments"]}
        assert "parties.consignee" in fields
        moved = old["route"]["destination_country"] != new["route"]["destination_country"]
        assert moved == ("route.destination_country" in fields)


# --- shaped like trade ---------------------------------------------------------------------


def test_world_size_options_are_honoured() -> None:
    world = build_world(1, WorldSize(exporters=150, consignees=400, forwarders=25))
    assert len(world.forwarders) == 25
    assert 100 <= len(world.exporters) <= 150  # countries that make nothing export nothing
    assert 200 <= len(world.consignees) <= 400  # buyers with no supplier in reach drop out
    assert len({c.country for c in world.exporters + world.consignees}) >= 20
    assert len({c.name for c in world.exporters + world.consignees}) == len(
        world.exporters + world.consignees
    )


def test_every_account_has_a_licence_number_of_its_own() -> None:
    """Authorities number licences uniquely; a number drawn twice read as a licence quoted by
    other parties than its holder's (DOCUMENT_REUSED on honest trade)."""
    for size in (WorldSize(), WorldSize(6000, 12000, 900)):
        licences = [a.licence for a in build_world(7, size).accounts if a.licence]
        assert len(licences) > 1000 and len(set(licences)) == len(licences)


def test_a_larger_world_has_more_business_centres_not_fuller_ones() -> None:
    """Tenants of a business centre share its address (SHARED_ADDRESS's honest case); three
    times the consignees make three times the centres, each about as full."""

    def tenants(size: WorldSize) -> Counter:
        consignees = build_world(7, size).consignees
        return Counter(c.address for c in consignees if c.address.startswith("Suite "))

    usual, larger = tenants(WorldSize()), tenants(WorldSize(6000, 12000, 900))
    assert len(larger) >= 2.5 * len(usual)
    mean = lambda centres: sum(centres.values()) / len(centres)  # noqa: E731
    assert mean(larger) <= 1.3 * mean(usual) and max(larger.values()) <= 1.5 * max(usual.values())


def test_time_runs_forward_from_the_start_with_a_weekly_rhythm(stream) -> None:
    start = datetime(2026, 11, 2, tzinfo=UTC)
    stamps = [r.declared_at for r in stream]
    assert stamps == sorted(stamps)
    assert start <= stamps[0] and stamps[-1] < start + timedelta(days=12)
    by_weekday = Counter(t.weekday() for t in stamps)
    assert by_weekday[1] > 2 * by_weekday[6]  # Tuesdays are busy, Sundays quiet


def test_trade_is_repeat_business(stream) -> None:
    pairs = Counter(
        (d["parties"]["exporter"]["name"], d["parties"]["consignee"]["name"])
        for d in (orjson.loads(r.value) for r in stream if r.label == "ordinary")
    )
    repeated = sum(n for n in pairs.values() if n >= 2)
    assert repeated > 0.5 * sum(pairs.values())


def test_a_structuring_campaign_splits_one_consignment_into_small_lots() -> None:
    records = simulate(spec(planted_share=0.05, scheme_weights={"structuring": 1}))
    lots = [orjson.loads(r.value) for r in records if r.label == "structuring"]
    by_exporter = {
        k: list(g)
        for k, g in itertools.groupby(
            sorted(lots, key=lambda d: d["parties"]["exporter"]["name"]),
            key=lambda d: d["parties"]["exporter"]["name"],
        )
    }
    assert max(len(g) for g in by_exporter.values()) >= 4
    assert all(i["net_mass_kg"] <= 50 for d in lots for i in d["items"])


def test_ordinary_buyers_include_traders_and_free_zone_companies() -> None:
    """The consignee red flags cost false alerts: ordinary controlled trade has them too."""
    world = build_world(7)
    buyers = {a.consignee.name: a.consignee for a in world.accounts if a.licence}
    traders = [
        c for c in buyers.values() if re.search(r"\b(Trading|Distribution|Import Export)\b", c.name)
    ]
    assert 0.1 < len(traders) / len(buyers) < 0.4
    in_zone = [c for c in world.consignees if "Zone" in c.address]
    assert {"AE", "SG", "MY", "IN"} <= {c.country for c in in_zone}
    assert not any(c.country in ("DE", "JP", "HK") for c in in_zone)  # no zones modelled there
    emirati = [  # business-centre tenants aside
        c for c in world.consignees if c.country == "AE" and not c.address.startswith("Suite")
    ]
    assert all(("Free Zone" in c.address) == c.name.endswith(" FZE") for c in emirati)
    assert 0.3 < sum(c.name.endswith(" FZE") for c in emirati) / len(emirati) < 0.7
