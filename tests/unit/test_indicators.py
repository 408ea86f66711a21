"""Each indicator, on the cases a compliance analyst would check it with."""

from __future__ import annotations

from datetime import UTC, datetime

from screener.core.assess import alert_for, assess, bounded_evidence, bounded_facts
from screener.models import MAX_EVIDENCE_CHARS, MAX_FACT_ITEMS


def codes(assessment) -> set[str]:
    return {hit.code for hit in assessment.indicators}


def hit(assessment, code):
    return next(h for h in assessment.indicators if h.code == code)


def test_clean_licensed_trade_to_a_non_hub_scores_nothing(declaration, policy):
    result = assess(declaration(True), policy)
    assert result.score == 0 and result.severity == "none" and result.indicators == []
    assert alert_for(result, policy, declaration(True)) is None


def test_the_contract_example_is_a_critical_alert_with_its_reasons(declaration, policy):
    result = assess(declaration(), policy, assessed_at=datetime(2026, 11, 28, tzinfo=UTC))
    assert result.score == 100 and result.severity == "critical"  # 105 points, capped
    assert [h.code for h in result.indicators][:2] == [
        "CTRL_HUB_DESTINATION",
        "LATE_PARTY_AMENDMENT",
    ]
    alert = alert_for(result, policy, declaration())
    again = alert_for(assess(declaration(), policy), policy, declaration())
    assert alert is not None and again is not None and alert.alert_id == again.alert_id


def test_magnets_transiting_thailand_fire_hub_transit(declaration, policy):
    result = assess(declaration(True, **{"route.transit_countries": ["TH"]}), policy)
    assert codes(result) == {"CTRL_HUB_TRANSIT"}
    assert "TH" in hit(result, "CTRL_HUB_TRANSIT").evidence
    assert hit(result, "CTRL_HUB_TRANSIT").facts["hubs"] == ["TH"]


def test_a_hub_on_the_way_to_a_hub_is_one_red_flag(declaration, policy):
    to_mexico = {"route.transit_countries": ["TH"], "route.destination_country": "MX"}
    result = assess(declaration(True, **to_mexico), policy)
    transit = hit(result, "CTRL_HUB_TRANSIT")
    assert hit(result, "CTRL_HUB_DESTINATION").points == 30 and transit.points == 0
    assert transit.evidence == (
        "Rare-earth permanent magnets (HS 8505111000) transit TH: a diversion hub for this "
        "group; destined to a hub as well: one red flag, counted there"
    )


def test_goods_not_destined_to_a_hub_of_theirs_keep_their_transit(declaration, policy):
    # Turkey is a hub for magnets, not for rare-earth ferro-alloys: the alloy's route through
    # Thailand is a red flag of its own.
    to_turkey = declaration(
        True, **{"route.transit_countries": ["TH"], "route.destination_country": "TR"}
    )
    alloy = to_turkey.items[0].model_copy(
        update={"line": 2, "hs_code": "7202999100", "description": "ferro-cerium alloy"}
    )
    result = assess(to_turkey.model_copy(update={"items": [*to_turkey.items, alloy]}), policy)
    assert hit(result, "CTRL_HUB_TRANSIT").points == 30
    assert hit(result, "CTRL_HUB_DESTINATION").facts["hs_codes"] == ["8505111000"]


def test_a_hub_is_no_intermediary_for_goods_made_there(declaration, policy):
    made_in_thailand = declaration(
        True, **{"route.transit_countries": ["TH"], "items.0.origin_country": "TH"}
    )
    assert "CTRL_HUB_TRANSIT" not in codes(assess(made_in_thailand, policy))


def test_uncontrolled_goods_through_a_hub_are_ordinary(declaration, policy):
    shirts = declaration(
        True,
        **{
            "route.transit_countries": ["TH"],
            "route.destination_country": "MX",
            "items.0.hs_code": "610910",
            "items.0.description": "cotton t-shirts",
            "items.0.licence_ref": None,
            "items.0.value": {"amount": "9000.00", "currency": "USD"},
        },
    )
    assert assess(shirts, policy).indicators == []


def test_chips_to_a_chip_hub_count_but_taiwan_is_no_hub_for_magnets(declaration, policy):
    chips = declaration(
        True,
        **{
            "items.0.hs_code": "8542310000",
            "items.0.value": {"amount": "9000000", "currency": "USD"},
            "route.destination_country": "TW",
        },
    )
    assert "CTRL_HUB_DESTINATION" in codes(assess(chips, policy))
    magnets = declaration(True, **{"route.destination_country": "TW"})
    assert "CTRL_HUB_DESTINATION" not in codes(assess(magnets, policy))


def test_missing_licence_names_the_unlicensed_lines(declaration, policy):
    result = assess(declaration(True, **{"items.0.licence_ref": None}), policy)
    assert codes(result) == {"CTRL_NO_LICENCE"}
    assert hit(result, "CTRL_NO_LICENCE").facts["lines"] == [1]


def test_onward_destination_needs_controlled_goods_and_a_different_country(declaration, policy):
    onward = declaration(True, **{"route.final_destination_country": "US"})
    assert codes(assess(onward, policy)) == {"CTRL_ONWARD_DESTINATION"}
    same = declaration(True, **{"route.final_destination_country": "JP"})
    assert assess(same, policy).indicators == []


def test_antimony_declared_as_zinc_is_too_dear_for_zinc(declaration, policy):
    zinc = declaration(
        True,
        **{
            "items.0.hs_code": "790111",
            "items.0.description": "zinc ingots",
            "items.0.net_mass_kg": 20000.0,
            "items.0.licence_ref": None,
            "items.0.value": {"amount": "300000.00", "currency": "USD"},
        },
    )
    result = assess(zinc, policy)
    assert codes(result) == {"UNIT_VALUE_OUTLIER", "PRICED_AS_CONTROLLED"}
    facts = hit(result, "UNIT_VALUE_OUTLIER").facts["lines"][0]
    assert facts["usd_per_kg"] == 15.0 and facts["reference_prefix"] == "7901"
    assert (
        "priced like Gallium, germanium, antimony" in hit(result, "PRICED_AS_CONTROLLED").evidence
    )


def test_samarium_oxide_declared_as_porcelain_tiles_is_too_dear_for_tiles(declaration, policy):
    """Porcelain tiles have a range of their own, narrower than that of all ceramic tiles
    (mosaics and finishing pieces): samarium oxide at its price, 6 USD/kg, passes for
    ceramics but not for floor tiles."""
    tiles = {
        "items.0.hs_code": "6907210000",
        "items.0.description": "glazed porcelain floor tiles, 60 x 60 cm",
        "items.0.net_mass_kg": 5000.0,
        "items.0.licence_ref": None,
    }
    oxide = {**tiles, "items.0.value": {"amount": "30000.00", "currency": "USD"}}
    result = assess(declaration(True, **oxide), policy)
    assert codes(result) == {"UNIT_VALUE_OUTLIER", "PRICED_AS_CONTROLLED"}
    assert hit(result, "UNIT_VALUE_OUTLIER").facts["lines"][0]["reference_prefix"] == "690721"
    assert hit(result, "PRICED_AS_CONTROLLED").facts["lines"][0]["usd_per_kg"] == 6.0
    mosaic = {**oxide, "items.0.hs_code": "6907300000", "items.0.description": "mosaic cubes"}
    assert assess(declaration(True, **mosaic), policy).indicators == []
    dear_tiles = {**tiles, "items.0.value": {"amount": "20000.00", "currency": "USD"}}
    assert assess(declaration(True, **dear_tiles), policy).indicators == []  # 4 USD/kg


def test_unit_value_converts_currency_and_skips_unknown_rates(declaration, policy):
    # 86,400 USD for 1,200 kg is 72 USD/kg: plausible for magnets. 86,400 JPY is not.
    yen = declaration(True, **{"items.0.value": {"amount": "86400.00", "currency": "JPY"}})
    assert codes(assess(yen, policy)) == {"UNIT_VALUE_OUTLIER"}
    no_rate = declaration(True, **{"items.0.value": {"amount": "86400.00", "currency": "ZAR"}})
    assert assess(no_rate, policy).indicators == []


def test_a_listed_consignee_is_found_despite_case_punctuation_and_legal_form(declaration, policy):
    listed = declaration(
        True,
        **{
            "parties.consignee": {
                "id": None,
                "name": "GOLDEN LOTUS MAGNET TRADING COMPANY LIMITED",
                "country": "TH",
                "address": None,
            }
        },
    )
    result = assess(listed, policy)
    match = hit(result, "PARTY_LISTED").facts["matches"][0]
    assert (
        match["role"] == "consignee"
        and match["entry_name"] == "Golden Lotus Magnet Trading Co. Ltd."
    )
    assert match["score"] >= 0.95 and "country TH agrees" in match["explanation"]
    assert "Entity List" in hit(result, "PARTY_LISTED").evidence


def test_a_listed_alias_and_a_reordered_name_match(declaration, policy):
    alias = declaration(True, **{"parties.exporter.name": "Huaxin Micro"})
    assert (
        hit(assess(alias, policy), "PARTY_LISTED").facts["matches"][0]["matched_name"]
        == "Huaxin Micro"
    )
    reordered = declaration(True, **{"parties.consignee.name": "Dmitri Sergeyevich Volkov"})
    assert hit(assess(reordered, policy), "PARTY_LISTED").facts["matches"][0]["score"] >= 0.9


def test_a_near_miss_front_company_name_is_caught_and_explained(declaration, policy):
    typo = declaration(True, **{"parties.consignee.name": "Golden Lotos Magnet Tradng Co"})
    listed = hit(assess(typo, policy), "PARTY_LISTED")
    assert listed.facts["matches"][0]["entry_name"] == "Golden Lotus Magnet Trading Co. Ltd."
    assert "lotos~lotus" in listed.evidence and listed.points < 60  # weight x match score


def test_a_similar_but_different_name_is_not_an_exact_match(declaration, policy):
    other = declaration(True, **{"parties.consignee.name": "Golden Lotus Restaurant Co. Ltd."})
    assert "PARTY_LISTED" not in codes(assess(other, policy))


def test_payer_in_a_third_country(declaration, policy):
    result = assess(declaration(True, **{"payment.payer_country": "AE"}), policy)
    assert codes(result) == {"PAYER_THIRD_COUNTRY"}
    assert assess(declaration(True, **{"payment": None}), policy).indicators == []


def test_late_amendment_of_the_consignee_but_not_of_a_document(declaration, policy):
    late = [{"field": "parties.consignee", "amended_at": "2026-11-28T08:00:00Z"}]
    assert codes(assess(declaration(True, amendments=late), policy)) == {"LATE_PARTY_AMENDMENT"}
    doc = [{"field": "documents.invoice", "amended_at": "2026-11-28T08:00:00Z"}]
    assert assess(declaration(True, amendments=doc), policy).indicators == []


def test_score_is_capped_and_indicators_are_ordered_by_points(declaration, policy):
    everything = declaration(
        **{
            "route.transit_countries": ["VN"],
            "parties.end_user": {
                "id": None,
                "name": "Pacifico Raros",
                "country": "MX",
                "address": None,
            },
        },
    )
    result = assess(everything, policy)
    assert result.score == 100
    points = [h.points for h in result.indicators]
    assert points == sorted(points, reverse=True)


def test_what_an_indicator_says_about_a_thousand_lines_is_bounded(declaration, policy):
    """1,000 lines of magnets declared as 'assorted parts' at a dollar each: every line
    fires, and the assessment names the first lines and counts the rest (about 650 KB before)."""
    line = {
        "hs_code": "8505111000",
        "description": "assorted parts " + "x" * 150,
        "quantity": 1,
        "quantity_unit": "kg",
        "net_mass_kg": 1000.0,
        "value": {"amount": "1.00", "currency": "USD"},
        "origin_country": "CN",
        "licence_ref": None,
    }
    many = declaration(items=[line | {"line": n} for n in range(1, 1001)])
    result = assess(many, policy)
    assert len(result.model_dump_json()) < 60_000
    for h in result.indicators:
        assert len(h.evidence) <= MAX_EVIDENCE_CHARS
        assert all(len(v) <= MAX_FACT_ITEMS for v in h.facts.values() if isinstance(v, list))
    described = hit(result, "DESCRIPTION_CONTRADICTS_HS")
    assert described.evidence.startswith("line 1 HS 8505111000")
    assert described.evidence.endswith(" more")
    kept = described.evidence.count("described as")
    assert described.evidence.endswith(f"; and {1000 - kept} more")
    assert described.facts["lines_more"] == 1000 - MAX_FACT_ITEMS
    assert [f["line"] for f in described.facts["lines"]] == list(range(1, MAX_FACT_ITEMS + 1))


def test_evidence_is_cut_between_parts_and_facts_keep_their_shape():
    assert bounded_evidence("short; text") == "short; text"
    parts = [f"line {n} " + "y" * 40 for n in range(200)]
    cut = bounded_evidence("; ".join(parts))
    *kept, more = cut.split("; ")
    assert kept == parts[: len(kept)] and more == f"and {200 - len(kept)} more"
    assert len(cut) <= MAX_EVIDENCE_CHARS
    assert bounded_evidence("z" * 5000) == "z" * (MAX_EVIDENCE_CHARS - 1) + "…"
    facts = {"lines": list(range(30)), "other": [1, 2], "n": 3}
    assert bounded_facts(facts) == {
        "lines": list(range(MAX_FACT_ITEMS)),
        "lines_more": 30 - MAX_FACT_ITEMS,
        "other": [1, 2],
        "n": 3,
    }


def consignee(name: str, address: str, country: str = "JP") -> dict:
    return {"id": None, "name": name, "country": country, "address": address}


def test_a_trading_company_or_forwarder_as_final_consignee_of_controlled_goods(declaration, policy):
    trader = declaration(
        True,
        **{"parties.consignee": consignee("Kansai Auto Parts Trading K.K.", "2-1 Nakanoshima")},
    )
    result = assess(trader, policy)
    assert codes(result) == {"CONSIGNEE_INTERMEDIARY"}
    assert hit(result, "CONSIGNEE_INTERMEDIARY").facts["words"] == ["trading"]
    forwarder = declaration(
        True, **{"parties.consignee": consignee("Osaka Freight Forwarding Co.", "Kobe")}
    )
    assert hit(assess(forwarder, policy), "CONSIGNEE_INTERMEDIARY").facts["words"] == [
        "freight",
        "forwarding",
    ]


def test_an_intermediary_is_judged_by_whole_words_goods_and_the_end_user(declaration, policy):
    # "Bankside" is no bank, "Tradewinds" no trading company.
    not_words = declaration(
        True, **{"parties.consignee": consignee("Bankside Tradewinds Motors K.K.", "Osaka")}
    )
    assert assess(not_words, policy).indicators == []
    trader = consignee("Kansai Auto Parts Trading K.K.", "2-1 Nakanoshima")
    shirts = declaration(
        True,
        **{
            "parties.consignee": trader,
            "items.0.hs_code": "610910",
            "items.0.description": "cotton t-shirts",
            "items.0.licence_ref": None,
        },
    )
    assert "CONSIGNEE_INTERMEDIARY" not in codes(assess(shirts, policy))
    # A trader clearing the goods for a named maker: the maker is the final consignee.
    for_a_maker = declaration(
        True,
        **{
            "parties.consignee": trader,
            "parties.end_user": consignee("Kansai Motor Works K.K.", "2-1 Nakanoshima, Osaka"),
        },
    )
    assert "CONSIGNEE_INTERMEDIARY" not in codes(assess(for_a_maker, policy))


def test_a_final_consignee_in_a_free_trade_zone(declaration, policy):
    by_address = declaration(
        True,
        **{
            "parties.consignee": consignee(
                "Gulf Motors L.L.C.", "Unit 4B-12, Jebel Ali Free Zone (JAFZA), Dubai", "AE"
            ),
            "route.destination_country": "JP",
        },
    )
    result = assess(by_address, policy)
    assert codes(result) == {"CONSIGNEE_FREE_ZONE"}
    assert hit(result, "CONSIGNEE_FREE_ZONE").facts["address_words"] == ["free zone", "jafza"]
    by_legal_form = declaration(
        True, **{"parties.consignee": consignee("Gulf Motors FZE", "Dubai", "AE")}
    )
    found = hit(assess(by_legal_form, policy), "CONSIGNEE_FREE_ZONE")
    assert found.facts["name_words"] == ["fze"] and "FZE" in found.evidence
    # Jebel Ali the town is not the free zone; nor is a zone address of uncontrolled goods.
    town = declaration(
        True, **{"parties.consignee": consignee("Gulf Motors L.L.C.", "12 Street, Jebel Ali", "AE")}
    )
    assert "CONSIGNEE_FREE_ZONE" not in codes(assess(town, policy))
    shirts = declaration(
        True,
        **{
            "parties.consignee": consignee("Gulf Motors FZE", "Jebel Ali Free Zone", "AE"),
            "items.0.hs_code": "610910",
            "items.0.description": "cotton t-shirts",
            "items.0.licence_ref": None,
        },
    )
    assert "CONSIGNEE_FREE_ZONE" not in codes(assess(shirts, policy))


def test_a_licence_quoted_but_not_filed(declaration, policy):
    unfiled = declaration(
        True,
        **{
            "documents": [
                {"type": "commercial_invoice", "number": "INV-88231", "issuing_country": "CN"}
            ]
        },
    )
    result = assess(unfiled, policy)
    assert codes(result) == {"LICENCE_NOT_FILED"}
    found = hit(result, "LICENCE_NOT_FILED")
    assert found.facts == {"lines": [1], "quoted": ["MOFCOM-EL-2026-77812"], "filed": []}
    assert "no export licence is among the documents" in found.evidence
    # Another licence filed beside it does not back the one quoted.
    other = {"type": "export_licence", "number": "MOFCOM-EL-2026-10001", "issuing_country": "CN"}
    mismatch = declaration(True, **{"documents.1": other})
    assert hit(assess(mismatch, policy), "LICENCE_NOT_FILED").facts["filed"] == [
        "MOFCOMEL202610001"
    ]
    # The number as filed may be keyed differently: dashes and case aside, it is the same.
    same = {"type": "export_licence", "number": "mofcom el 2026 77812", "issuing_country": "CN"}
    assert "LICENCE_NOT_FILED" not in codes(
        assess(declaration(True, **{"documents.1": same}), policy)
    )
    # No reference at all is CTRL_NO_LICENCE's case, not this one.
    none = assess(declaration(True, **{"items.0.licence_ref": None}), policy)
    assert "CTRL_NO_LICENCE" in codes(none) and "LICENCE_NOT_FILED" not in codes(none)


def test_goods_outside_the_line_of_business_the_parties_are_named_for(declaration, policy):
    tiles = {
        "items.0.hs_code": "6907210000",
        "items.0.description": "glazed porcelain floor tiles, 60 x 60 cm",
        "items.0.licence_ref": None,
        "items.0.value": {"amount": "21000.00", "currency": "USD"},
        "items.0.net_mass_kg": 5200.0,
        "items.0.quantity": "5200",
    }
    metals_buyer = consignee("Meifeng Nonferrous Limited", "Kwun Tong, Kowloon", "HK")
    result = assess(declaration(True, **tiles, **{"parties.consignee": metals_buyer}), policy)
    found = hit(result, "GOODS_OUTSIDE_LINE_OF_BUSINESS")
    assert found.facts == {
        "parties": [
            {"role": "consignee", "name": "Meifeng Nonferrous Limited", "trades": ["metals"]}
        ],
        "chapters": ["69"],
    }
    assert "nonferrous" in found.evidence and "69" in found.evidence
    # Metal goods fit a metals buyer; a name that names no trade says nothing.
    zinc = {**tiles, "items.0.hs_code": "7901110000", "items.0.description": "zinc ingots"}
    fitting = assess(declaration(True, **zinc, **{"parties.consignee": metals_buyer}), policy)
    assert "GOODS_OUTSIDE_LINE_OF_BUSINESS" not in codes(fitting)
    plain = consignee("Meifeng Limited", "Kwun Tong, Kowloon", "HK")
    quiet = assess(declaration(True, **tiles, **{"parties.consignee": plain}), policy)
    assert "GOODS_OUTSIDE_LINE_OF_BUSINESS" not in codes(quiet)
    # Whole words only: "Metalsmith" is no metals trade.
    smith = consignee("Meifeng Metalsmith Limited", "Kwun Tong, Kowloon", "HK")
    assert "GOODS_OUTSIDE_LINE_OF_BUSINESS" not in codes(
        assess(declaration(True, **tiles, **{"parties.consignee": smith}), policy)
    )
