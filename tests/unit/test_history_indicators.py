"""Each history indicator, on the sequences of declarations an analyst would check it with.

Every case screens a short hand-built sequence with a fresh store, exactly as the stream
does: each declaration is judged against the history of the ones before it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from screener.batch import HistoryScreener
from screener.core.assess import assess
from screener.core.history.state import APPLIED_SIZE
from screener.core.intake import parse_declaration
from screener.core.policy import DEFAULT_POLICY, Policy, parse_policy
from screener.models import Assessment, Declaration, Item
from screener.sim import generate

HISTORY_CODES = {
    "NEW_COUNTERPARTY",
    "NEW_EXPORTER",
    "EXPORTER_NEW_CHAPTER",
    "EXPORTER_NEW_ROUTE",
    "EXPORTER_NEW_HUB",
    "RARE_LANE_FOR_CHAPTER",
    "CONSIGNEE_NEW_CHAPTER",
    "HUB_SURGE",
    "STRUCTURING",
    "SHARED_ADDRESS",
    "DOCUMENT_REUSED",
    "PAYER_NOT_ESTABLISHED",
    "UNIT_VALUE_BELOW_OWN_HISTORY",
}
T0 = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
EXPORTER = "'Shanghai Xinda Magnetics Co., Ltd.'"

# Changes to the clean baseline (licensed magnets CN -> JP, consignee Kansai Motor Works).
VIA_TH = {"route.transit_countries": ["TH"]}
VIA_KR = {"route.transit_countries": ["KR"]}  # indirect, but Korea is no hub
SHIRTS = {
    "items.0.hs_code": "610910",
    "items.0.description": "cotton t-shirts",
    "items.0.licence_ref": None,
    "items.0.value": {"amount": "9000.00", "currency": "USD"},
}
CAR_PARTS = {
    "items.0.hs_code": "8708999000",
    "items.0.description": "brake assemblies",
    "items.0.licence_ref": None,
}
NAGOYA = {"parties.consignee.id": None, "parties.consignee.name": "Nagoya Brake Co."}
SMALL_PARCEL = {
    "items.0.net_mass_kg": 20.0,
    "items.0.value": {"amount": "1440.00", "currency": "USD"},
}


def consignee(name: str, address: str = "Laem Chabang Free Zone, Chonburi") -> dict:
    return {"parties.consignee": {"id": None, "name": name, "country": "TH", "address": address}}


def plastics(usd: float, kg: float = 1200.0) -> dict:
    """Plastic articles (HS 3926.90): uncontrolled, no policy range, so only history knows."""
    return {
        "items.0.hs_code": "3926909000",
        "items.0.description": "plastic fittings",
        "items.0.licence_ref": None,
        "items.0.net_mass_kg": kg,
        "items.0.value": {"amount": f"{usd * kg:.2f}", "currency": "USD"},
    }


def codes(assessment: Assessment) -> set[str]:
    return {h.code for h in assessment.indicators}


def hit(assessment: Assessment, code: str):
    return next(h for h in assessment.indicators if h.code == code)


def numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]


@pytest.fixture
def make(declaration):
    """make(day, clean=True, **changes): the next declaration, `day` days after T0."""
    ids = itertools.count(1)

    def build(day: float, clean: bool = True, /, **changes) -> Declaration:
        declared_at = (T0 + timedelta(days=day)).isoformat()
        return declaration(
            clean, declaration_id=f"HIST-{next(ids):05d}", declared_at=declared_at, **changes
        )

    return build


def policy_with(policy: Policy, code: str, **params) -> Policy:
    """The policy with some parameters of one indicator changed."""
    settings = policy.document.indicators[code]
    changed = settings.model_copy(update={"params": {**settings.params, **params}})
    indicators = {**policy.document.indicators, code: changed}
    return replace(policy, document=policy.document.model_copy(update={"indicators": indicators}))


def screen(policy, declarations: list[Declaration]) -> list[Assessment]:
    """Screen in order against a fresh, empty history."""
    screener = HistoryScreener(policy, {})
    return [screener.screen(d, assessed_at=T0) for d in declarations]


# --- NEW_COUNTERPARTY ---------------------------------------------------------------------


def test_a_new_consignee_of_controlled_goods_stays_new_for_three_days(make, policy):
    first, second, third = screen(policy, [make(0), make(2.5), make(3.5)])
    assert hit(first, "NEW_COUNTERPARTY").evidence == (
        "consignee 'Kansai Motor Works K.K.' appears for the first time, receiving controlled goods"
    )
    found = hit(second, "NEW_COUNTERPARTY")
    assert found.evidence == (
        "consignee 'Kansai Motor Works K.K.' was first seen 2.5 days before, on 1 earlier "
        "declaration(s), receiving controlled goods"
    )
    assert found.facts["parties"] == [
        {
            "role": "consignee",
            "name": "Kansai Motor Works K.K.",
            "prior_declarations": 1,
            "days_known": 2.5,
        }
    ]
    assert "NEW_COUNTERPARTY" not in codes(third)


def test_a_consignee_is_new_on_its_first_declaration_only_when_the_policy_says_so(make, policy):
    first_only = policy_with(policy, "NEW_COUNTERPARTY", new_for_days=0)
    first, second = screen(first_only, [make(0), make(0.5)])
    assert "NEW_COUNTERPARTY" in codes(first)
    assert "NEW_COUNTERPARTY" not in codes(second)


def test_a_new_end_user_is_a_new_counterparty_too(make, policy):
    end_user = {"id": None, "name": "Pacifico Raros", "country": "MX", "address": None}
    *_, with_end_user = screen(
        policy, [make(0), make(4), make(5, **{"parties.end_user": end_user})]
    )
    assert hit(with_end_user, "NEW_COUNTERPARTY").facts["parties"] == [
        {"role": "end_user", "name": "Pacifico Raros", "prior_declarations": 0, "days_known": 0}
    ]


def test_a_new_consignee_of_uncontrolled_goods_is_ordinary(make, policy):
    results = screen(policy, [make(0, **SHIRTS), make(1, **SHIRTS, **consignee("Bangkok Apparel"))])
    assert all("NEW_COUNTERPARTY" not in codes(r) for r in results)


# --- NEW_EXPORTER -------------------------------------------------------------------------


def test_a_first_seen_exporter_of_controlled_goods_is_flagged_once(make, policy):
    first, second = screen(policy, [make(0), make(1)])
    found = hit(first, "NEW_EXPORTER")
    assert found.evidence == (
        f"exporter {EXPORTER} appears for the first time, shipping controlled goods "
        "(Rare-earth permanent magnets)"
    )
    assert found.facts == {
        "name": "Shanghai Xinda Magnetics Co., Ltd.",
        "groups": ["Rare-earth permanent magnets"],
    }
    assert "NEW_EXPORTER" not in codes(second)


def test_a_first_seen_exporter_of_uncontrolled_goods_is_ordinary(make, policy):
    (shirts,) = screen(policy, [make(0, **SHIRTS)])
    assert "NEW_EXPORTER" not in codes(shirts)


# --- EXPORTER_NEW_CHAPTER -----------------------------------------------------------------

TILES = {
    "items.0.hs_code": "6907210000",
    "items.0.description": "glazed porcelain floor tiles, 60 x 60 cm",
    "items.0.licence_ref": None,
    "items.0.net_mass_kg": 4000.0,
    "items.0.value": {"amount": "20000.00", "currency": "USD"},
}


def test_a_magnet_maker_suddenly_exporting_ceramic_tiles(make, policy):
    *magnets, tiles = screen(policy, [*(make(n) for n in range(6)), make(6, **TILES)])
    assert all("EXPORTER_NEW_CHAPTER" not in codes(r) for r in magnets)
    found = hit(tiles, "EXPORTER_NEW_CHAPTER")
    assert found.evidence == (
        f"exporter {EXPORTER} declared HS chapter 69 on 0 of its 6 earlier declarations "
        "(mostly chapters 85 (6))"
    )
    assert found.facts == {
        "chapters": {"69": 0},
        "prior_declarations": 6,
        "usual_chapters": {"85": 6},
    }


def test_a_chapter_on_one_in_twenty_earlier_declarations_is_still_outside_the_line(make, policy):
    sequence = [make(0, **TILES), *(make(1 + n / 2) for n in range(19)), make(11, **TILES)]
    *_, tiles = screen(policy, sequence)
    assert hit(tiles, "EXPORTER_NEW_CHAPTER").facts["chapters"] == {"69": 1}


def test_a_chapter_the_exporter_ships_regularly_is_in_its_line(make, policy):
    sequence = [*(make(n, **(TILES if n % 4 == 0 else {})) for n in range(12)), make(12, **TILES)]
    *_, tiles = screen(policy, sequence)
    assert "EXPORTER_NEW_CHAPTER" not in codes(tiles)


def test_an_exporter_with_four_earlier_declarations_is_too_new_to_judge(make, policy):
    *_, tiles = screen(policy, [*(make(n) for n in range(4)), make(4, **TILES)])
    assert "EXPORTER_NEW_CHAPTER" not in codes(tiles)


# --- EXPORTER_NEW_ROUTE / EXPORTER_NEW_HUB ------------------------------------------------


def test_first_indirect_route_after_five_direct_shipments(make, policy):
    *direct, via_kr, again = screen(
        policy, [*(make(n) for n in range(5)), make(5, **VIA_KR), make(6, **VIA_KR)]
    )
    assert all("EXPORTER_NEW_ROUTE" not in codes(r) for r in direct)
    found = hit(via_kr, "EXPORTER_NEW_ROUTE")
    assert found.evidence == (
        f"first of 6 declarations of exporter {EXPORTER} to use route CN > KR > JP "
        "(it used 1 other route(s))"
    )
    assert found.facts == {"route": "CN>KR>JP", "prior_declarations": 5, "distinct_routes": 1}
    assert "EXPORTER_NEW_ROUTE" not in codes(again)


def test_a_new_direct_route_is_ordinary_growth(make, policy):
    to_germany = {"route.destination_country": "DE", "route.port_of_discharge": "DEHAM"}
    *_, new_direct = screen(policy, [*(make(n) for n in range(5)), make(5, **to_germany)])
    assert "EXPORTER_NEW_ROUTE" not in codes(new_direct)


def test_a_new_route_needs_five_earlier_declarations(make, policy):
    *_, via_kr = screen(policy, [*(make(n) for n in range(4)), make(4, **VIA_KR)])
    assert "EXPORTER_NEW_ROUTE" not in codes(via_kr)


def test_first_controlled_shipment_via_a_hub_after_five_without(make, policy):
    *_, via_th, again = screen(
        policy, [*(make(n) for n in range(5)), make(5, **VIA_TH), make(6, **VIA_TH)]
    )
    found = hit(via_th, "EXPORTER_NEW_HUB")
    assert found.evidence == (
        f"first of 6 declarations of exporter {EXPORTER} to route controlled goods via TH"
    )
    assert found.facts == {"hubs": ["TH"], "prior_declarations": 5}
    assert "EXPORTER_NEW_HUB" not in codes(again)


def test_a_second_hub_is_new_even_when_the_first_is_known(make, policy):
    via_my = {"route.transit_countries": ["MY"]}
    *_, via_my_result = screen(policy, [*(make(n, **VIA_TH) for n in range(5)), make(5, **via_my)])
    assert hit(via_my_result, "EXPORTER_NEW_HUB").facts["hubs"] == ["MY"]


def test_a_transit_that_is_no_hub_is_no_new_hub(make, policy):
    *_, via_kr = screen(policy, [*(make(n) for n in range(5)), make(5, **VIA_KR)])
    assert "EXPORTER_NEW_HUB" not in codes(via_kr)


# --- RARE_LANE_FOR_CHAPTER ----------------------------------------------------------------


def test_magnets_on_a_route_that_carried_twenty_declarations_of_shirts(make, policy):
    *shirts, magnets = screen(policy, [*(make(n / 4, **SHIRTS) for n in range(20)), make(6)])
    found = hit(magnets, "RARE_LANE_FOR_CHAPTER")
    assert (
        found.evidence == "route CN > JP carried 0 in HS chapter 85 of its 20 earlier declarations"
    )
    assert found.facts["chapter_counts"] == {"85": 0}
    assert all("RARE_LANE_FOR_CHAPTER" not in codes(r) for r in shirts)


def test_a_route_with_too_little_history_is_not_rare(make, policy):
    *_, magnets = screen(policy, [*(make(n / 4, **SHIRTS) for n in range(19)), make(6)])
    assert "RARE_LANE_FOR_CHAPTER" not in codes(magnets)


def test_a_route_that_already_carries_the_chapter_is_not_rare(make, policy):
    sequence = [make(0), *(make(n / 4, **SHIRTS) for n in range(20)), make(6)]
    *_, magnets = screen(policy, sequence)
    assert "RARE_LANE_FOR_CHAPTER" not in codes(magnets)  # 1 of 21 earlier: about 5 %


# --- CONSIGNEE_NEW_CHAPTER ----------------------------------------------------------------


def test_a_car_parts_buyer_suddenly_receiving_magnets(make, policy):
    *parts, magnets = screen(policy, [*(make(n, **CAR_PARTS) for n in range(5)), make(5)])
    found = hit(magnets, "CONSIGNEE_NEW_CHAPTER")
    assert found.evidence == (
        "consignee 'Kansai Motor Works K.K.' received no HS chapter 85 goods in "
        "5 earlier declarations (1 other chapter(s))"
    )
    assert found.facts == {"chapters": ["85"], "prior_declarations": 5}
    assert all("CONSIGNEE_NEW_CHAPTER" not in codes(r) for r in parts)


def test_a_consignee_that_already_receives_the_chapter_is_in_its_line(make, policy):
    sequence = [make(0), *(make(n + 1, **CAR_PARTS) for n in range(5)), make(6)]
    *_, magnets = screen(policy, sequence)
    assert "CONSIGNEE_NEW_CHAPTER" not in codes(magnets)


def test_a_consignee_with_four_earlier_declarations_is_too_new_to_judge(make, policy):
    *_, magnets = screen(policy, [*(make(n, **CAR_PARTS) for n in range(4)), make(4)])
    assert "CONSIGNEE_NEW_CHAPTER" not in codes(magnets)


# --- HUB_SURGE ----------------------------------------------------------------------------


def test_a_flow_without_a_week_of_history_has_no_usual_rate_to_surge_from(make, policy):
    # Every flow is that young in a deployment's first week (2026.11.14).
    five = [make(n, **VIA_TH) for n in range(5)]
    assert all("HUB_SURGE" not in codes(r) for r in screen(policy, five))
    # A daily flow from its start, and a burst once it has been seen for six baseline days
    # (days 0-5, before the last seven), then for seven.
    for days, surges in ((12, False), (13, True)):
        steady = [make(n, **VIA_TH) for n in range(days)]
        burst = [make(days + n / 240, **VIA_TH) for n in range(30)]
        last = screen(policy, steady + burst)[-1]
        assert ("HUB_SURGE" in codes(last)) is surges, days
    assert hit(last, "HUB_SURGE").facts["surges"][0]["baseline_days"] == 7


def test_five_controlled_shipments_via_thailand_in_a_week_with_no_baseline(make, policy):
    any_baseline = policy_with(policy, "HUB_SURGE", min_baseline_days=0)
    results = screen(any_baseline, [make(n, **VIA_TH) for n in range(5)])
    assert all("HUB_SURGE" not in codes(r) for r in results[:4])
    found = hit(results[4], "HUB_SURGE")
    assert found.evidence == (
        "Rare-earth permanent magnets via TH: 5 shipments in the last 7 days "
        "with no history before them"
    )
    assert found.facts["surges"] == [
        {
            "flow": "Rare-earth permanent magnets via TH",
            "recent": 5,
            "baseline": 0.0,
            "baseline_days": 0,
        }
    ]


def test_a_steady_daily_flow_through_thailand_is_no_surge(make, policy):
    daily = [make(n, **VIA_TH) for n in range(91)]
    assert all("HUB_SURGE" not in codes(r) for r in screen(policy, daily))
    # Without the week of baseline its first week has nothing before it: a surge against
    # nothing. From then on the baseline is the days the flow has actually been seen, not 83
    # days of which most are empty (which made a new, steady flow look like a surge for its
    # first four weeks).
    results = screen(policy_with(policy, "HUB_SURGE", min_baseline_days=0), daily)
    assert "HUB_SURGE" in codes(results[6])
    assert all("HUB_SURGE" not in codes(r) for r in results[8:])


def test_a_new_flow_is_judged_against_the_days_it_has_been_seen(make, policy):
    # One shipment a day for three weeks, then 30 in three hours: a surge against 7 per
    # week over the 15 days before the last 7 (not against 21 shipments spread over 83 days).
    steady = [make(n, **VIA_TH) for n in range(21)]
    burst = [make(21 + n / 240, **VIA_TH) for n in range(30)]
    results = screen(policy, steady + burst)
    assert all("HUB_SURGE" not in codes(r) for r in results[8:21])
    found = hit(results[-1], "HUB_SURGE")
    surge = found.facts["surges"][0]
    assert surge == {
        "flow": "Rare-earth permanent magnets via TH",
        "recent": 36,
        "baseline": 7.0,
        "baseline_days": 15,
    }
    assert "36 shipments in the last 7 days against 7.0 per 7 days over the prior 15 days" in (
        found.evidence
    )


def test_a_surge_on_top_of_a_weekly_baseline(make, policy):
    weekly = [make(7 * n, **VIA_TH) for n in range(12)]  # days 0..77
    burst = [make(80 + n / 2, **VIA_TH) for n in range(5)]  # five in two and a half days
    results = screen(policy, weekly + burst)
    assert all("HUB_SURGE" not in codes(r) for r in results[4:12])
    found = hit(results[-1], "HUB_SURGE")
    surge = found.facts["surges"][0]
    # One a week over the 74 days the flow was seen before the last seven (about 1.0).
    assert surge["recent"] == 6 and 0.9 <= surge["baseline"] <= 1.1
    assert f"{surge['recent']} shipments in the last 7 days" in found.evidence


def test_uncontrolled_goods_through_a_hub_make_no_flow(make, policy):
    results = screen(policy, [make(n / 2, **VIA_TH, **SHIRTS) for n in range(10)])
    assert all("HUB_SURGE" not in codes(r) for r in results)


# --- STRUCTURING --------------------------------------------------------------------------


def small_unlicensed(make, n: int, day: float, **changes) -> Declaration:
    """The example (magnets via TH, unlicensed) as a 20 kg parcel to a different buyer."""
    buyer = consignee(f"Buyer {n} Co.", address=f"{n} Sukhumvit Rd, Bangkok")
    return make(day, False, **SMALL_PARCEL, **buyer, **changes)


def test_three_small_unlicensed_shipments_from_one_exporter_in_a_week(make, policy):
    results = screen(policy, [small_unlicensed(make, n, n) for n in range(3)])
    assert all("STRUCTURING" not in codes(r) for r in results[:2])
    found = hit(results[2], "STRUCTURING")
    assert found.evidence == (
        f"exporter {EXPORTER}: 3 controlled shipments in 7 days averaging 20.0 kg, "
        "with no history before them"
    )
    (party,) = found.facts["parties"]
    assert party == {
        "role": "exporter",
        "name": EXPORTER[1:-1],
        "shipments": 3,
        "average_kg": 20.0,
        "usual": 0.0,
        "baseline_days": 0,
        "chance": None,
    }


def test_small_lots_as_a_habit_are_not_structuring(make, policy):
    # Three small parcels a week for six weeks (chips fly like this), then a fourth week of
    # the same: judged against its own usual three a week, not against nothing.
    habit = [small_unlicensed(make, n, n * 7 / 3) for n in range(18)]
    results = screen(policy, habit)
    assert all("STRUCTURING" not in codes(r) for r in results[9:])


def test_small_lots_far_above_the_party_s_own_rate_are_structuring(make, policy):
    # One small parcel a week for five weeks, then six in three and a half days.
    weekly = [small_unlicensed(make, n, 7 * n) for n in range(5)]
    burst = [small_unlicensed(make, 10 + n, 35 + n * 0.7) for n in range(6)]
    *_, fifth, last = screen(policy, weekly + burst)
    # The fifth lot: 4 others in a week at 1.13 a week (5 in the 31 days before) come in 1
    # of 36 weeks by chance, which the policy lets pass (1 in 50).
    assert "STRUCTURING" not in codes(fifth)
    party = hit(last, "STRUCTURING").facts["parties"][0]
    assert party["shipments"] == 6 and party["baseline_days"] >= 28
    assert 0.9 <= party["usual"] <= 1.2
    # Five others at that rate: 1 - e^-1.13 (1 + 1.13 + ... + 1.13^4 / 4!) = 0.0067.
    assert 0.005 <= party["chance"] <= 0.008
    assert (
        f"against {party['usual']} per 7 days over the prior {party['baseline_days']} days "
        f"(1 in {round(1 / party['chance'])} at that rate)" in hit(last, "STRUCTURING").evidence
    )


def test_a_burst_too_rare_to_show_in_five_decimals_still_gives_its_odds(make, policy):
    weekly = [small_unlicensed(make, n, 7 * n) for n in range(5)]
    burst = [small_unlicensed(make, 10 + n, 35 + n * 0.25) for n in range(12)]
    found = hit(screen(policy, weekly + burst)[-1], "STRUCTURING")
    assert found.facts["parties"][0]["chance"] == 0.0  # 11 others at 1.13 a week: 3e-8
    assert found.evidence.endswith("(under 1 in 1,000 at that rate)")


def test_a_busy_week_of_a_party_used_to_small_lots_is_not_structuring(make, policy):
    # A parcel every five days for six weeks (1.4 a week), then a week of four: twice its
    # usual rate, but a week that rate brings about once in six.
    steady = [small_unlicensed(make, n, 5 * n) for n in range(9)]
    busy = [small_unlicensed(make, 20 + n, 45 + n * 1.5) for n in range(4)]
    results = screen(policy, steady + busy)
    assert all("STRUCTURING" not in codes(r) for r in results)
    # The same week under policy 2026.11.10's test (twice the usual rate, and three lots):
    lenient = policy_with(policy, "STRUCTURING", max_chance=1.0)
    assert "STRUCTURING" in codes(screen(lenient, steady + busy)[-1])


def test_a_party_without_controlled_shipments_before_has_no_rate_to_excuse_a_burst(make, policy):
    bulk = [make(n * 4, False, **SHIRTS) for n in range(8)]  # a month of T-shirts
    lots = [small_unlicensed(make, n, 35 + n) for n in range(3)]
    found = hit(screen(policy, bulk + lots)[-1], "STRUCTURING")
    (party,) = found.facts["parties"]
    assert party["usual"] == 0.0 and party["baseline_days"] > 0 and party["chance"] == 0.0
    assert found.evidence.endswith(f"over the prior {party['baseline_days']} days")


def test_small_controlled_lines_hidden_among_bulk_uncontrolled_goods_are_still_small(make, policy):
    bulk = {
        "line": 2,
        "hs_code": "8708999000",
        "description": "brake assemblies",
        "quantity": 5000,
        "quantity_unit": "kg",
        "net_mass_kg": 5000.0,
        "value": {"amount": "50000.00", "currency": "USD"},
        "origin_country": "CN",
        "licence_ref": None,
    }
    sequence = [small_unlicensed(make, n, n) for n in range(6)]
    mixed = [d.model_copy(update={"items": [*d.items, Item(**bulk)]}) for d in sequence]
    # Each carries 20 kg of magnets, as above; today the five earlier ones count as 5,020 kg
    # of controlled goods each, the average comes to 4,186.7 kg and nothing fires.
    last = screen(policy, mixed)[5]
    assert "STRUCTURING" in codes(last)
    assert hit(last, "STRUCTURING").facts["parties"][0]["average_kg"] == 20.0


def test_six_full_loads_in_a_week_are_not_structuring(make, policy):
    results = screen(policy, [make(n, False, **consignee(f"Buyer {n}")) for n in range(6)])
    assert all("STRUCTURING" not in codes(r) for r in results)


def test_six_small_shipments_spread_over_three_weeks_are_not_structuring(make, policy):
    results = screen(policy, [small_unlicensed(make, n, 4 * n) for n in range(6)])
    assert all("STRUCTURING" not in codes(r) for r in results)


def test_small_shipments_to_one_consignee_flag_both_sides(make, policy):
    buyer = consignee("Chonburi Magnet Supply Co., Ltd.")
    results = screen(policy, [make(n / 2, False, **SMALL_PARCEL, **buyer) for n in range(6)])
    found = hit(results[5], "STRUCTURING")
    assert [p["role"] for p in found.facts["parties"]] == ["exporter", "consignee"]


# --- SHARED_ADDRESS -----------------------------------------------------------------------


def test_a_fourth_consignee_at_one_address(make, policy):
    names = ["Siam Precision Trading", "Lotus Rare Metals", "Chao Phraya Magnets", "Andaman Supply"]
    results = screen(policy, [make(n, False, **consignee(name)) for n, name in enumerate(names)])
    assert all("SHARED_ADDRESS" not in codes(r) for r in results[:3])
    found = hit(results[3], "SHARED_ADDRESS")
    assert found.evidence.startswith(
        "'Laem Chabang Free Zone, Chonburi' is also the address of 3 other consignee(s), e.g. "
    )
    for name in ("siam precision trading", "lotus rare metals", "chao phraya magnets"):
        assert repr(name) in found.evidence
    assert found.facts["addresses"] == [
        {"address": "Laem Chabang Free Zone, Chonburi", "other_consignees": 3}
    ]


def test_one_consignee_shipping_often_to_its_own_address_is_ordinary(make, policy):
    results = screen(policy, [make(n, False) for n in range(8)])
    assert all("SHARED_ADDRESS" not in codes(r) for r in results)


# --- UNIT_VALUE_OUTLIER (learned) ---------------------------------------------------------


def thirty_at_about_ten_usd_per_kg(make) -> list[Declaration]:
    return [make(n / 10, **plastics(9.0 + (n % 5) * 0.5)) for n in range(30)]


def test_ten_times_the_usual_unit_value_of_an_hs6_without_a_policy_range(make, policy):
    *history, dear = screen(
        policy, [*thirty_at_about_ten_usd_per_kg(make), make(4, **plastics(100))]
    )
    assert all("UNIT_VALUE_OUTLIER" not in codes(r) for r in history)
    found = hit(dear, "UNIT_VALUE_OUTLIER")
    line = found.facts["lines"][0]
    assert line["basis"] == "identical goods" and line["observations"] == 30
    assert 8.0 <= line["median_usd_per_kg"] <= 12.0
    assert found.evidence.startswith(
        "line 1 HS 3926909000 at 100.0 USD/kg is above 100% of 30 earlier declarations of "
        "HS 392690 described as 'plastic fittings' (median "
    )
    assert 30 in numbers(found.evidence) and line["median_usd_per_kg"] in numbers(found.evidence)


def test_a_tenth_of_the_usual_unit_value_is_an_outlier_below(make, policy):
    *_, cheap = screen(policy, [*thirty_at_about_ten_usd_per_kg(make), make(4, **plastics(1))])
    assert "is below 100% of 30 earlier declarations" in hit(cheap, "UNIT_VALUE_OUTLIER").evidence


def test_a_campaigns_earlier_lot_does_not_hide_the_next(make, policy):
    """One lot at a tenth of the price among 41 earlier declarations of the goods (2.4 %):
    the next such lot still lies beyond 97 % of them. At 99 % (until policy 2026.11.10) a
    campaign's own earlier lots hid its later ones."""
    usual = [make(n / 10, **plastics(9.0 + (n % 5) * 0.5)) for n in range(40)]
    *_, first, second = screen(policy, [*usual, make(4, **plastics(1)), make(4.1, **plastics(1))])
    assert "UNIT_VALUE_OUTLIER" in codes(first)
    found = hit(second, "UNIT_VALUE_OUTLIER")
    assert "is below 98% of 41 earlier declarations" in found.evidence


def test_history_needs_thirty_observations_and_a_fourfold_gap(make, policy):
    history = thirty_at_about_ten_usd_per_kg(make)
    *_, too_early = screen(policy, [*history[:29], make(4, **plastics(100))])
    assert "UNIT_VALUE_OUTLIER" not in codes(too_early)
    *_, three_times = screen(policy, [*history, make(4, **plastics(30))])
    assert "UNIT_VALUE_OUTLIER" not in codes(three_times)


def thirty_magnets_at_about_seventy_usd_per_kg(make) -> list[Declaration]:
    # Each from another exporter to another buyer, so only the HS6 history knows the price.
    return [
        make(
            n / 10,
            **magnets_at(66 + (n % 5) * 3),
            **{"parties.exporter.id": f"CN-{n:010d}", "parties.consignee.id": f"JP-{n:04d}"},
        )
        for n in range(30)
    ]


def test_controlled_goods_at_a_third_of_the_usual_unit_value_are_undervalued(make, policy):
    # 24 USD/kg is inside the magnets' policy range (15-350), but below every one of 30
    # earlier declarations of HS 850511 and a third of their median: for controlled goods
    # (priced low to stay under a licence check) 2.5 times below is enough.
    history = thirty_magnets_at_about_seventy_usd_per_kg(make)
    *_, cheap = screen(policy, [*history, make(4, **magnets_at(24))])
    found = hit(cheap, "UNIT_VALUE_OUTLIER")
    line = found.facts["lines"][0]
    assert line["basis"] == "identical goods" and line["observations"] == 30
    assert found.evidence.startswith(
        "line 1 HS 8505111000 at 24.0 USD/kg is below 100% of 30 earlier declarations of "
        "HS 850511 described as "
    )
    *_, discount = screen(policy, [*history, make(4, **magnets_at(36))])
    assert "UNIT_VALUE_OUTLIER" not in codes(discount)  # half the median is a discount


def test_uncontrolled_goods_at_a_third_of_the_usual_unit_value_need_the_fourfold_gap(make, policy):
    *_, cheap = screen(policy, [*thirty_at_about_ten_usd_per_kg(make), make(4, **plastics(3))])
    assert "UNIT_VALUE_OUTLIER" not in codes(cheap)


def test_the_policy_range_still_applies_when_history_is_poisoned(make, policy):
    # A flood of "zinc" at 15 USD/kg (antimony misdeclared) teaches the history that 15 USD/kg
    # is normal for zinc; the policy's 1-6 USD/kg range still catches the next one.
    zinc = {
        "items.0.hs_code": "7901110000",
        "items.0.description": "zinc ingots",
        "items.0.licence_ref": None,
        "items.0.net_mass_kg": 20000.0,
        "items.0.value": {"amount": "300000.00", "currency": "USD"},
    }
    *_, last = screen(policy, [make(n / 10, **zinc) for n in range(31)])
    line = hit(last, "UNIT_VALUE_OUTLIER").facts["lines"][0]
    assert line["basis"] == "policy range" and line["usd_per_kg"] == 15.0


def test_history_catches_what_the_wide_policy_range_allows(make, policy):
    # Magnets have a 15-350 USD/kg range; at 300 USD/kg a line is in range but ten times
    # what 30 earlier declarations of the same HS6 were worth.
    magnets = [
        make(n / 10, **{"items.0.value": {"amount": "36000.00", "currency": "USD"}})
        for n in range(30)
    ]
    dear = make(4, **{"items.0.value": {"amount": "360000.00", "currency": "USD"}})
    *_, result = screen(policy, [*magnets, dear])
    assert hit(result, "UNIT_VALUE_OUTLIER").facts["lines"][0]["basis"] == "identical goods"


def mixed_chips(make) -> list[Declaration]:
    """HS 854231 as trade declares it: 30 microcontrollers at about 2,000 USD/kg and 30 GPU
    accelerators at about 15,000, interleaved, each from another exporter to another buyer."""
    out = []
    for n in range(60):
        gpu = n % 2 == 0
        usd_per_kg = (14000 + (n % 5) * 500) if gpu else (1800 + (n % 5) * 100)
        out.append(
            make(
                n / 100,
                **chips(
                    "GPU accelerator modules, ECCN 3A090" if gpu else "32-bit microcontrollers",
                    usd_per_kg,
                ),
                **{"parties.exporter.id": f"TW-{n:010d}", "parties.consignee.id": f"US-{n:04d}"},
            )
        )
    return out


def chips(description: str, usd_per_kg: float, kg: float = 10.0) -> dict:
    return {
        "items.0.hs_code": "8542310000",
        "items.0.description": description,
        "items.0.net_mass_kg": kg,
        "items.0.value": {"amount": f"{usd_per_kg * kg:.2f}", "currency": "USD"},
    }


def test_gpus_priced_like_the_microcontrollers_of_their_hs6_are_undervalued(make, policy):
    # 2,000 USD/kg is the middle of HS 854231 (half microcontrollers, half GPUs), but a
    # seventh of what 30 earlier declarations of the same GPUs were worth: identical goods.
    history = mixed_chips(make)
    *_, cheap = screen(
        policy, [*history, make(4, **chips("GPU Accelerator Modules; ECCN 3A090", 2000))]
    )
    found = hit(cheap, "UNIT_VALUE_OUTLIER")
    line = found.facts["lines"][0]
    assert line["basis"] == "identical goods" and line["observations"] == 30
    assert line["median_usd_per_kg"] > 10000
    assert "described as 'GPU Accelerator Modules; ECCN 3A090'" in found.evidence
    *_, mcu = screen(policy, [*history, make(4, **chips("32-bit microcontrollers", 2000))])
    assert "UNIT_VALUE_OUTLIER" not in codes(mcu)  # the usual price of microcontrollers


def test_a_new_description_falls_back_to_the_hs6_history(make, policy):
    # Fewer than 30 earlier declarations under this description: the HS6 mix is the reference,
    # against which 2,000 USD/kg is ordinary and 100 USD/kg is not.
    history = mixed_chips(make)
    *_, usual = screen(policy, [*history, make(4, **chips("AI accelerator cards", 2000))])
    assert "UNIT_VALUE_OUTLIER" not in codes(usual)
    *_, cheap = screen(policy, [*history, make(4, **chips("AI accelerator cards", 100))])
    assert hit(cheap, "UNIT_VALUE_OUTLIER").facts["lines"][0]["basis"] == "history"


# --- DOCUMENT_REUSED ----------------------------------------------------------------------

LICENCE = "MOFCOM-EL-2026-77812"  # the clean example's licence, Kansai Motor Works'
SIAM = consignee("Siam Trading")


def bill_of_lading(number: str) -> dict:
    return {
        "documents": [
            {
                "type": "bill_of_lading",
                "number": number,
                "issuing_country": "CN",
                "issued_at": "2026-08-01",
            }
        ]
    }


def test_a_licence_quoted_for_another_consignee_is_reused(make, policy):
    *own, copied, again = screen(
        policy, [*(make(n) for n in range(3)), make(3, **SIAM), make(4, **SIAM)]
    )
    assert all("DOCUMENT_REUSED" not in codes(r) for r in own)  # the holder, again and again
    found = hit(copied, "DOCUMENT_REUSED")
    assert found.points == 35
    assert found.evidence == (
        f"export licence {LICENCE} (CN) was first quoted on 2026-08-03 by exporter "
        "'CN-91310000MA1FL' for consignee 'JP-1234'; quoted on 3 earlier declaration(s), and "
        f"here by exporter {EXPORTER} for consignee 'Siam Trading'"
    )
    (document,) = found.facts["documents"]
    assert document["other_parties"] and document["prior_declarations"] == 3
    # The copier's second shipment is no less a copy: the licence is still not its own.
    assert hit(again, "DOCUMENT_REUSED").facts["documents"][0]["prior_declarations"] == 4


def test_a_licence_number_is_compared_without_punctuation_or_case(make, policy):
    retyped = {"items.0.licence_ref": "mofcom.el/2026/77812"}
    _, copied = screen(policy, [make(0), make(1, **SIAM, **retyped)])
    assert "DOCUMENT_REUSED" in codes(copied)


def test_a_bill_of_lading_is_one_shipment_s_even_for_the_same_parties(make, policy):
    first, second, other = screen(
        policy,
        [
            make(0, **bill_of_lading("MAEU 123456789")),
            make(1, **bill_of_lading("MAEU123456789")),
            make(2, **bill_of_lading("MAEU123456790")),
        ],
    )
    assert "DOCUMENT_REUSED" not in codes(first) | codes(other)
    found = hit(second, "DOCUMENT_REUSED")
    assert found.points == 17.5  # same parties: half the weight
    assert found.evidence.startswith("bill of lading MAEU123456789 (CN) was first quoted on")
    assert found.evidence.endswith("by the same exporter and consignee, and again here")


def test_invoice_numbers_are_not_compared(make, policy):
    # Exporters number invoices from 00001: the same number from two exporters is no copy.
    both = [make(n, False, **consignee(f"Buyer {n}")) for n in range(2)]  # both INV-88231
    results = screen(policy, both)
    assert all("DOCUMENT_REUSED" not in codes(r) for r in results)


def test_a_redelivered_copy_counts_once_on_the_document(make, policy):
    screener = HistoryScreener(policy, {})
    holder, copy = make(0), make(1, **SIAM)
    screener.screen(holder, assessed_at=T0)
    first = screener.screen(copy, assessed_at=T0)
    assert screener.screen(copy, assessed_at=T0) == first
    later = screener.screen(make(2, **consignee("Lotus Rare Metals")), assessed_at=T0)
    assert hit(later, "DOCUMENT_REUSED").facts["documents"][0]["prior_declarations"] == 2


# --- PAYER_NOT_ESTABLISHED ----------------------------------------------------------------

PAID_FROM_HK = {"payment.payer_country": "HK"}


def test_a_buyer_always_paying_itself_suddenly_paid_from_hong_kong(make, policy):
    *usual, from_hk = screen(policy, [*(make(n) for n in range(5)), make(5, **PAID_FROM_HK)])
    assert all("PAYER_NOT_ESTABLISHED" not in codes(r) for r in usual)
    found = hit(from_hk, "PAYER_NOT_ESTABLISHED")
    assert found.evidence == (
        "paid from HK; consignee 'Kansai Motor Works K.K.' was paid from HK on 0 of its 5 "
        "earlier declaration(s) (otherwise from JP 5)"
    )
    assert found.facts["paid_from_there"] == 0 and found.facts["prior_declarations"] == 5


def test_a_treasury_centre_paying_every_shipment_becomes_the_usual_payer(make, policy):
    results = screen(policy, [make(n, **PAID_FROM_HK) for n in range(6)])
    assert "PAYER_NOT_ESTABLISHED" not in codes(results[0])  # first seen: NEW_COUNTERPARTY's
    assert all("PAYER_NOT_ESTABLISHED" in codes(r) for r in results[1:3])  # paid once, twice
    assert all("PAYER_NOT_ESTABLISHED" not in codes(r) for r in results[3:])  # 3 times: usual
    assert "PAYER_THIRD_COUNTRY" in codes(results[5])  # the payer itself is still reported


def test_a_new_payer_for_uncontrolled_goods_is_not_this_indicator_s_business(make, policy):
    *_, shirts = screen(policy, [*(make(n) for n in range(5)), make(5, **SHIRTS, **PAID_FROM_HK)])
    assert "PAYER_NOT_ESTABLISHED" not in codes(shirts)


# --- UNIT_VALUE_BELOW_OWN_HISTORY ---------------------------------------------------------


def magnets_at(usd_per_kg: float) -> dict:
    return {"items.0.value": {"amount": f"{usd_per_kg * 1200:.2f}", "currency": "USD"}}


def test_magnets_invoiced_at_a_sixth_of_the_exporter_s_own_price(make, policy):
    # 72 USD/kg five times; then 12 USD/kg: inside the policy's 15-350 range widened by half,
    # but a sixth of what this exporter and this buyer always paid.
    *usual, cheap = screen(policy, [*(make(n) for n in range(5)), make(5, **magnets_at(12))])
    assert all("UNIT_VALUE_BELOW_OWN_HISTORY" not in codes(r) for r in usual)
    assert "UNIT_VALUE_OUTLIER" not in codes(cheap)
    found = hit(cheap, "UNIT_VALUE_BELOW_OWN_HISTORY")
    exporter, buyer = found.facts["lines"]
    assert (exporter["role"], buyer["role"]) == ("exporter", "consignee")
    assert exporter["observations"] == 5 and 65 <= exporter["median_usd_per_kg"] <= 80
    assert found.evidence.startswith(
        "line 1 HS 850511 at 12.0 USD/kg is below 100% of the 5 earlier controlled lines of HS "
        f"850511 of exporter {EXPORTER} (median "
    )


def test_own_history_needs_five_lines_and_a_price_under_thirty_percent(make, policy):
    *_, too_early = screen(policy, [*(make(n) for n in range(4)), make(4, **magnets_at(12))])
    assert "UNIT_VALUE_BELOW_OWN_HISTORY" not in codes(too_early)
    *_, discount = screen(policy, [*(make(n) for n in range(5)), make(5, **magnets_at(25))])
    assert "UNIT_VALUE_BELOW_OWN_HISTORY" not in codes(discount)  # a third off is a discount


def test_a_party_selling_cheap_and_dear_lines_of_one_hs6_is_not_judged_by_the_dear(make, policy):
    mixed = [make(n, **magnets_at(72 if n % 2 else 12)) for n in range(10)]
    *_, cheap = screen(policy, [*mixed, make(10, **magnets_at(12))])
    assert "UNIT_VALUE_BELOW_OWN_HISTORY" not in codes(cheap)


# --- determinism and the stateless path ---------------------------------------------------


ANOTHER_EXPORTER = {
    "parties.exporter.id": "CN-9144030012",
    "parties.exporter.name": "Ningbo Small Lots Trading Co., Ltd.",
}


@pytest.fixture
def mixed_sequence(make) -> list[Declaration]:
    """A bit of everything above, plus sample traffic."""
    sample = [parse_declaration(m.value) for m in generate(120, seed=3)]
    return [
        *(make(n) for n in range(5)),
        make(5, **VIA_TH),
        *(make(6 + n / 4, **SHIRTS) for n in range(20)),
        *(small_unlicensed(make, n, 12 + n / 2, **ANOTHER_EXPORTER) for n in range(6)),
        *(make(16 + n, False, **consignee(f"Co {n}")) for n in range(4)),
        *thirty_at_about_ten_usd_per_kg(make),
        make(25, **plastics(100)),
        *(make(26 + n, **CAR_PARTS, **NAGOYA) for n in range(5)),
        make(31, **NAGOYA),
        make(32, **SIAM),  # Kansai's licence, for another buyer
        *(make(33 + n, **NAGOYA) for n in range(2)),
        make(35, **NAGOYA, **PAID_FROM_HK),
        make(36, **NAGOYA, **magnets_at(12)),
        *(d for d in sample if isinstance(d, Declaration)),
    ]


def test_the_same_sequence_screened_twice_gives_the_same_assessments(mixed_sequence, policy):
    first, second = screen(policy, mixed_sequence), screen(policy, mixed_sequence)
    assert HISTORY_CODES | {"UNIT_VALUE_OUTLIER"} <= set().union(*(codes(r) for r in first))
    for a, b in zip(first, second, strict=True):
        assert a.history_digest is not None and a.history_digest == b.history_digest
        assert a.model_dump(exclude={"assessed_at"}) == b.model_dump(exclude={"assessed_at"})


def test_a_redelivered_declaration_is_judged_as_the_first_time(make, policy):
    screener = HistoryScreener(policy_with(policy, "HUB_SURGE", min_baseline_days=0), {})
    sequence = [make(n, **VIA_TH) for n in range(6)]
    first = [screener.screen(d, assessed_at=T0) for d in sequence]
    again = screener.screen(sequence[4], assessed_at=T0)
    assert again == first[4]
    later = screener.screen(make(6, **VIA_TH), assessed_at=T0)
    assert hit(later, "HUB_SURGE").facts["surges"][0]["recent"] == 7  # not 8


def test_a_copy_after_its_answer_is_forgotten_is_judged_as_the_first_time(make, policy):
    """`screener score --state DIR` run again with the last line of a file: no answers are
    kept between runs, only the history, which knows the declaration and leaves it out."""
    store: dict[str, bytes] = {}
    lots = [make(n / 10, **SMALL_PARCEL, **consignee("Lotus Rare Metals")) for n in range(4)]
    first = [HistoryScreener(policy, store).screen(d, assessed_at=T0) for d in lots]
    assert "STRUCTURING" in codes(first[-1])
    again = HistoryScreener(policy, store).screen(lots[-1], assessed_at=T0)
    # The same score and evidence; the history digest may differ (its last date seen is kept).
    assert again.model_dump(exclude={"history_digest"}) == first[-1].model_dump(
        exclude={"history_digest"}
    )


def test_an_amendment_is_screened_anew_and_counted_once(make, declaration, policy):
    screener = HistoryScreener(policy, {})
    first = make(0)
    amended_at = (T0 + timedelta(hours=2)).isoformat()
    amendment = declaration(
        True,
        declaration_id=first.declaration_id,
        declared_at=(T0 + timedelta(hours=3)).isoformat(),
        amendments=[{"field": "parties.consignee", "amended_at": amended_at}],
        **consignee("Lotus Rare Metals"),
    )
    answer = screener.screen(first, assessed_at=T0)
    amended = screener.screen(amendment, assessed_at=T0)
    assert "LATE_PARTY_AMENDMENT" not in codes(answer)
    assert {"LATE_PARTY_AMENDMENT", "NEW_COUNTERPARTY"} <= codes(amended)
    assert amended.score > answer.score
    assert screener.screen(amendment.model_copy(), assessed_at=T0) == amended  # a copy
    # Both versions quote the licence: its history holds the shipment once, not twice.
    later = screener.screen(make(1, **consignee("Lotus Rare Metals")), assessed_at=T0)
    assert hit(later, "DOCUMENT_REUSED").facts["documents"][0]["prior_declarations"] == 1
    assert screener.screen(first, assessed_at=T0) == answer  # the first version, sent again


def test_a_routine_amendment_is_judged_as_its_first_version_was(make, declaration, policy):
    """Its own first version is no earlier shipment: not a second quote of its licence, not
    another lot of a structured consignment."""
    screener = HistoryScreener(policy, {})
    small = {**SMALL_PARCEL, **consignee("Lotus Rare Metals")}
    lots = [make(n / 10, **small) for n in range(2)]
    answers = [screener.screen(d, assessed_at=T0) for d in lots]
    corrected = declaration(
        True,
        declaration_id=lots[1].declaration_id,
        declared_at=(T0 + timedelta(hours=5)).isoformat(),
        amendments=[
            {"field": "items.1.quantity", "amended_at": (T0 + timedelta(hours=4)).isoformat()}
        ],
        **small,
        **{"items.0.quantity": 9},
    )
    again = screener.screen(corrected, assessed_at=T0)
    assert again != answers[1]  # screened anew
    assert codes(again) == codes(answers[1]) and again.score == answers[1].score


def test_a_consignee_changed_without_an_amendment_listed_is_found_in_history(
    make, declaration, policy
):
    """A sender that sends a declaration again re-addressed but lists no amendment: the
    exporter's history had its first version, the new consignee's never did."""
    screener = HistoryScreener(policy_with(policy, "LATE_PARTY_AMENDMENT", from_history=True), {})
    first = make(0)
    again = {"declaration_id": first.declaration_id, "declared_at": first.declared_at.isoformat()}
    readdressed = declaration(True, **again, **consignee("Lotus Rare Metals"))
    corrected = declaration(True, **again, **{"items.0.quantity": 9})  # same parties
    assert "LATE_PARTY_AMENDMENT" not in codes(screener.screen(first, assessed_at=T0))
    assert "LATE_PARTY_AMENDMENT" not in codes(screener.screen(corrected, assessed_at=T0))
    found = hit(screener.screen(readdressed, assessed_at=T0), "LATE_PARTY_AMENDMENT")
    assert found.facts["listed"] is False and found.facts["fields"] == ["parties.consignee"]
    assert found.evidence == (
        "an earlier version of this declaration was sent before without consignee "
        "'Lotus Rare Metals', and no amendment is listed"
    )
    # A later declaration of the new consignee is no version of this one.
    assert "LATE_PARTY_AMENDMENT" not in codes(
        screener.screen(make(1, **consignee("Lotus Rare Metals")), assessed_at=T0)
    )
    off = HistoryScreener(policy_with(policy, "LATE_PARTY_AMENDMENT", from_history=False), {})
    off.screen(first, assessed_at=T0)
    assert "LATE_PARTY_AMENDMENT" not in codes(off.screen(readdressed, assessed_at=T0))


def test_a_busy_exporter_that_forgot_the_first_version_leaves_it_to_the_documents(
    make, declaration, policy
):
    """More declarations of the exporter than its ledger keeps came between the two versions:
    its row applies the second as new, but the bill of lading both quote knew the first."""
    screener = HistoryScreener(policy_with(policy, "LATE_PARTY_AMENDMENT", from_history=True), {})
    first = make(0, **bill_of_lading("MAEU 555000111"))
    screener.screen(first, assessed_at=T0)
    for _ in range(APPLIED_SIZE + 5):  # the same exporter, its other shipments
        screener.screen(make(1), assessed_at=T0)
    readdressed = declaration(
        True,
        declaration_id=first.declaration_id,
        declared_at=(T0 + timedelta(days=2)).isoformat(),
        **bill_of_lading("MAEU 555000111"),
        **consignee("Lotus Rare Metals"),
    )
    judged = screener.screen(readdressed, assessed_at=T0)
    found = hit(judged, "LATE_PARTY_AMENDMENT")
    assert found.facts["listed"] is False and found.facts["fields"] == ["parties.consignee"]


def test_without_history_no_history_indicator_fires(mixed_sequence, policy):
    for d in mixed_sequence:
        stateless = assess(d, policy, assessed_at=T0)
        assert stateless.history_digest is None
        assert not codes(stateless) & HISTORY_CODES


def test_without_identical_goods_the_hs6_mix_hides_a_cheap_gpu(make, policy):
    # The previous behaviour, kept for policies that do not ask for identical goods.
    text = DEFAULT_POLICY.read_text().replace("identical_goods: true", "identical_goods: false")
    plain = parse_policy(text, DEFAULT_POLICY.parent, "test")
    cheap = make(4, **chips("GPU accelerator modules, ECCN 3A090", 2000))
    *_, result = screen(plain, [*mixed_chips(make), cheap])
    assert "UNIT_VALUE_OUTLIER" not in codes(result)
