"""The sample traffic generator: deterministic, correctly labelled, and labels that hold up
against the contract and the policy."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from screener.core.assess import assess
from screener.core.policy import load_policy
from screener.models import Declaration
from screener.reference.names import normalise
from screener.sim import SampleMessage, generate, malformed_kinds, planted_schemes

SEEDS = (1, 7, 42)


def _parse(message: SampleMessage) -> Declaration:
    return Declaration.model_validate_json(message.value)


def _valid(messages: list[SampleMessage]) -> list[SampleMessage]:
    return [m for m in messages if not m.label.startswith("malformed:")]


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def traffic(request: pytest.FixtureRequest) -> list[SampleMessage]:
    return generate(300, seed=request.param)


# --- determinism -------------------------------------------------------------------------


def test_same_seed_gives_identical_messages() -> None:
    assert generate(300, seed=11) == generate(300, seed=11)


def test_different_seeds_give_different_traffic() -> None:
    first = [m.value for m in generate(300, seed=11)]
    second = [m.value for m in generate(300, seed=12)]
    assert first != second


def test_default_start_is_fixed_not_the_wall_clock() -> None:
    first = _parse(next(m for m in generate(5) if not m.label.startswith("malformed:")))
    assert first.declared_at.date() == datetime(2026, 11, 28, tzinfo=UTC).date()


def test_start_moves_the_whole_stream() -> None:
    start = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    messages = generate(50, seed=3, start=start)
    stamps = [_parse(m).declared_at for m in _valid(messages)]
    assert start <= min(stamps) and max(stamps) < start + timedelta(days=1)


# --- counts and labels ---------------------------------------------------------------------


def test_label_counts_follow_the_shares() -> None:
    labels = Counter(m.label.split(":")[0] for m in generate(300))
    assert labels == {"planted": 36, "malformed": 9, "ordinary": 255}


def test_custom_shares_are_exact() -> None:
    labels = Counter(
        m.label.split(":")[0] for m in generate(1000, planted_share=0.2, malformed_share=0.05)
    )
    assert labels == {"planted": 200, "malformed": 50, "ordinary": 750}


def test_small_and_empty_streams() -> None:
    assert generate(0) == []
    assert Counter(m.label.split(":")[0] for m in generate(10)) == {"planted": 1, "ordinary": 9}


def test_every_scheme_and_kind_appears_at_300(traffic: list[SampleMessage]) -> None:
    labels = {m.label for m in traffic}
    assert {f"planted:{s}" for s in planted_schemes()} <= labels
    assert {f"malformed:{k}" for k in malformed_kinds()} <= labels


def test_schemes_share_the_planted_count_evenly() -> None:
    planted = Counter(m.label for m in generate(600) if m.label.startswith("planted:"))
    assert set(planted.values()) == {72 // len(planted_schemes())}


def test_scheme_and_kind_names_are_distinct() -> None:
    assert len(set(planted_schemes())) == len(planted_schemes()) >= 6
    assert len(set(malformed_kinds())) == len(malformed_kinds()) >= 9


def test_shares_out_of_range_are_rejected() -> None:
    with pytest.raises(ValueError):
        generate(10, planted_share=1.5)
    with pytest.raises(ValueError):
        generate(-1)


# --- contract ------------------------------------------------------------------------------


def test_ordinary_and_planted_messages_pass_the_contract(traffic: list[SampleMessage]) -> None:
    for message in _valid(traffic):
        declaration = _parse(message)
        assert message.declaration_id == declaration.declaration_id
        assert message.key == declaration.declaration_id.encode()


def test_malformed_messages_fail_the_contract(traffic: list[SampleMessage]) -> None:
    for message in traffic:
        if message.label.startswith("malformed:"):
            with pytest.raises(ValidationError):
                _parse(message)


def test_messages_fit_in_a_default_kafka_record(traffic: list[SampleMessage]) -> None:
    assert max(len(m.value) for m in traffic) < 1024 * 1024


def test_declaration_ids_are_unique_and_look_like_customs_ids(
    traffic: list[SampleMessage],
) -> None:
    ids = [m.declaration_id for m in traffic if m.declaration_id is not None]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Z]{2}-(EXP|IMP|REX|TRN)-\d{4}-\d{7}", i) for i in ids)


def test_declared_at_never_goes_backwards(traffic: list[SampleMessage]) -> None:
    stamps = [_parse(m).declared_at for m in _valid(traffic)]
    assert stamps == sorted(stamps)
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert max(gaps) < timedelta(hours=1)


# --- against the screening core --------------------------------------------------------------

POLICY = load_policy()


def _indicators(d: Declaration) -> set[str]:
    return {hit.code for hit in assess(d, POLICY).indicators}


def _listed(name: str, country: str | None = None) -> bool:
    return bool(POLICY.screening.lookup(name, country))


def test_every_planted_scheme_reaches_the_alert_threshold(traffic: list[SampleMessage]) -> None:
    threshold = POLICY.document.scoring.alert_threshold
    for message in traffic:
        if message.label.startswith("planted:"):
            result = assess(_parse(message), POLICY)
            assert len(result.indicators) >= 2, message.label
            assert result.score >= threshold, (message.label, _indicators(_parse(message)))


def test_ordinary_trade_trips_no_indicator(traffic: list[SampleMessage]) -> None:
    for message in traffic:
        if message.label == "ordinary":
            assert _indicators(_parse(message)) == set(), message.value


def test_ordinary_controlled_trade_is_licensed_direct_and_paid_by_the_buyer(
    traffic: list[SampleMessage],
) -> None:
    controlled = [
        d
        for d in (_parse(m) for m in traffic if m.label == "ordinary")
        if any(POLICY.catalogue.controlled_group(i.hs_code) for i in d.items)
    ]
    assert len(controlled) >= 5
    for d in controlled:
        assert all(i.licence_ref for i in d.items)
        assert d.route.transit_countries == []
        assert d.route.final_destination_country in (None, d.route.destination_country)
        assert d.route.destination_country in {"JP", "DE", "US", "KR", "FR"}
        assert d.payment is not None and d.payment.payer_country == d.parties.consignee.country


def test_ordinary_parties_do_not_resemble_listed_names(traffic: list[SampleMessage]) -> None:
    # A shared place or trade word ("Shenzhen", "Components") is normal; two are a near miss.
    listed = [
        set(normalise(n).split())
        for entries in POLICY.screening.by_name.values()
        for _, n in entries
    ]
    for message in traffic:
        if message.label == "ordinary":
            for _, party in _parse(message).parties.named():
                words = {w for w in normalise(party.name).split() if len(w) > 2}
                assert all(len(words & other) <= 1 for other in listed), party.name


def test_listed_names_appear_in_several_spellings() -> None:
    spellings = {
        p.name
        for m in generate(1200, seed=5)
        if m.label.startswith("planted:")
        for _, p in _parse(m).parties.named()
        if _listed(p.name)
    }
    assert any(s.isupper() for s in spellings)
    assert any("Pacífico" in s for s in spellings)
    assert len(spellings) >= 15
