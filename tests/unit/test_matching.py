"""Fuzzy name screening, checked the way a compliance analyst would check it."""

from __future__ import annotations

import csv
import dataclasses

import pytest

from screener.reference.matching import (
    DEFAULT_THRESHOLD,
    EVALUATION_LIST,
    EVALUATION_SET,
    NameMatch,
    NameMatcher,
    evaluate,
    evaluation_matcher,
    load_evaluation_set,
    token_similarity,
)
from screener.reference.screening_lists import ListEntry

CYRILLIC_O = "\u043e"


def entry(entry_id, name, countries=(), aliases=(), addresses=()) -> ListEntry:
    return ListEntry(
        entry_id=entry_id,
        name=name,
        source="test",
        entity_type="Entity",
        aliases=tuple(aliases),
        addresses=tuple(addresses),
        countries=frozenset(countries),
    )


LIST = [
    entry(
        "lotus",
        "Golden Lotus Magnet Trading Co. Ltd.",
        {"TH"},
        aliases=("GLM Trading",),
        addresses=("55/12 Moo 4, Laem Chabang Industrial Estate, Si Racha, Chonburi, 20230, TH",),
    ),
    entry(
        "siam", "Bangkok Rare Metals Co. Ltd.", {"TH"}, aliases=("Siam Precision Trading Co. Ltd.",)
    ),
    entry("arktika", "OOO Arktika", {"RU"}),
    entry("huaxin", "Shenzhen Huaxin Microelectronics Technology Co. Ltd.", {"CN"}),
    entry("caspian", "Caspian Bridge Trading LLP", {"KZ"}, aliases=("KB Trading",)),
    entry("tamc", "TAMC", {"UZ"}),
    entry("ktk", "KTK Group", {"CN"}),
    entry("volkov", "VOLKOV, Dmitri Sergeyevich", {"RU"}, aliases=("VOLKOV, Dmitriy",)),
    entry("nioc", "National Iranian Oil Company", {"IR"}),
    entry("petrov", "PETROV, Ivan Nikolayevich", {"RU"}),
]


@pytest.fixture(scope="module")
def matcher() -> NameMatcher:
    return NameMatcher.build(LIST)


def top(matcher: NameMatcher, name: str, **kwargs) -> NameMatch | None:
    hits = matcher.match(name, **kwargs)
    return hits[0] if hits else None


def alerts(matcher: NameMatcher, name: str, **kwargs) -> list[str]:
    return [h.entry.entry_id for h in matcher.match(name, threshold=DEFAULT_THRESHOLD, **kwargs)]


# --------------------------------------------------------------------------- what must hit


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Golden Lotus Magnet Trading", "lotus"),  # legal form dropped
        ("GOLDEN LOTUS MAGNET TRADING COMPANY LIMITED", "lotus"),  # legal form spelt out
        ("Golden Lotus Magnet Trading S.A. de C.V.", "lotus"),  # another country's legal form
        ("Golden Lotus Magent Trading", "lotus"),  # typo
        ("Golden Lotus Magnet Trdg", "lotus"),  # abbreviation
        ("Magnet Trading Golden Lotus", "lotus"),  # words reordered
        ("Obshchestvo s Ogranichennoy Otvetstvennostyu Arktika", "arktika"),  # transliteration
        ("\u041e\u041e\u041e \u0410\u0440\u043a\u0442\u0438\u043a\u0430", "arktika"),  # Cyrillic
        ("Hua Xin Microelectronics Technology", "huaxin"),  # written apart
        ("SHENZHEN HUAXIN MICROELECTRONICS TE", "huaxin"),  # cut at a 35-character field
        ("Dmitriy Volkov", "volkov"),  # person, reordered, transliterated
        ("Ivan Petrov", "petrov"),  # person, patronymic left out
        ("National Iranian Oil Co", "nioc"),  # a name made only of descriptive words
    ],
)
def test_variants_of_a_listed_name_alert_on_it(matcher, query, expected):
    assert top(matcher, query).entry.entry_id == expected
    assert expected in alerts(matcher, query)


def test_an_alias_hit_says_it_is_an_alias(matcher):
    hit = top(matcher, "GLM Trading Co")
    assert hit.entry.entry_id == "lotus"
    assert hit.is_alias
    assert hit.matched_name == "GLM Trading"
    assert hit.score >= DEFAULT_THRESHOLD


def test_look_alike_letters_do_not_hide_a_listed_name(matcher):
    disguised = f"G{CYRILLIC_O}lden L{CYRILLIC_O}tus Magnet Trading"
    assert top(matcher, disguised).entry.entry_id == "lotus"
    assert top(matcher, disguised).score == 1.0
    assert "lotus" in alerts(matcher, "G0LDEN L0TUS MAGNET TRADING")


def test_the_explanation_is_one_line_an_analyst_can_read(matcher):
    hit = top(matcher, "siam precision trdng", country="TH")
    assert hit.entry.entry_id == "siam"
    text = hit.explain()
    assert "\n" not in text
    assert text.startswith("'siam precision trdng' ~ 'Siam Precision Trading Co. Ltd.' (alias) ")
    assert "siam=siam 1.00" in text
    assert "trdng~trading 0.90" in text
    assert "country TH agrees +0.03" in text
    assert ("trdng", "trading", 0.9) in hit.token_pairs


# --------------------------------------------------------------------------- supporting evidence


def test_a_contradicting_country_lowers_the_score(matcher):
    agreeing = top(matcher, "Golden Lotus Magnet Trading", country="TH")
    contradicting = top(matcher, "Golden Lotus Magnet Trading", country="MX")
    unknown = top(matcher, "Golden Lotus Magnet Trading")
    assert contradicting.score < unknown.score <= agreeing.score
    assert contradicting.name_score == agreeing.name_score
    assert ("country MX differs from TH", -0.08) in contradicting.adjustments


def test_a_matching_address_raises_the_score(matcher):
    query = "Golden Lotus Magnetics Trading Siam"
    without = top(matcher, query)
    with_address = top(
        matcher, query, address="55/12 Moo 4 Laem Chabang Industrial Estate, Chonburi 20230"
    )
    assert with_address.entry.entry_id == without.entry.entry_id == "lotus"
    assert with_address.score > without.score
    assert any(reason.startswith("address matches") for reason, _ in with_address.adjustments)


def test_an_address_elsewhere_does_not_raise_it(matcher):
    hit = top(matcher, "Golden Lotus Magnet Trading", address="12 Harbour Road, Wan Chai, HK")
    assert hit.adjustments == ()


def test_scores_stay_between_0_and_1(matcher):
    hit = top(
        matcher, "Golden Lotus Magnet Trading Co Ltd", country="TH", address=LIST[0].addresses[0]
    )
    assert hit.score == 1.0


# --------------------------------------------------------------------------- what must not hit


@pytest.mark.parametrize(
    "query",
    [
        "Samsung Electronics Co., Ltd.",
        "Golden Trading Co",  # shares only descriptive words with a listed name
        "Shenzhen Technology Co Ltd",
        "Golden Dragon Magnet Factory",  # shares words, not the name
        "Caspian Seafood Trading",  # shares one distinctive word
        "Huarun Microelectronics Technology",  # a different Chinese company
        "National Iranian Gas Export Company",
        "Dmitri Ivanov",
    ],
)
def test_unrelated_or_merely_similar_names_stay_below_the_threshold(matcher, query):
    assert alerts(matcher, query) == []


@pytest.mark.parametrize("query", ["A", "AB", "KB", "Co", "Co., Ltd.", "KTC Group", "TAMB", "GLM"])
def test_short_names_do_not_explode_into_false_alerts(matcher, query):
    assert alerts(matcher, query) == []


def test_a_listed_short_name_still_hits_exactly(matcher):
    assert alerts(matcher, "TAMC") == ["tamc"]
    assert alerts(matcher, "K.T.K. Group Ltd") == ["ktk"]


# --------------------------------------------------------------------------- the API


def test_results_are_ranked_limited_and_above_the_threshold(matcher):
    hits = matcher.match("Trading", limit=2)
    assert len(hits) <= 2
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.score >= 0.9 for h in matcher.match("Golden Lotus Magnet", threshold=0.9))


def test_a_match_is_frozen():
    hit = NameMatcher.build(LIST).match("OOO Arktika")[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.score = 0.0  # type: ignore[misc]


def test_a_name_screened_again_gets_the_same_answer_from_memory():
    matcher = NameMatcher.build(LIST)
    first = matcher.match("OOO Arktika", "RU", limit=3, threshold=0.5)
    first.clear()  # the caller's list: what is remembered stays whole
    again = matcher.match("OOO Arktika", "RU", limit=3, threshold=0.5)
    assert again and again == NameMatcher.build(LIST).match("OOO Arktika", "RU", None, 3, 0.5)
    assert matcher.match("OOO Arktika", "DE", limit=3, threshold=0.5) != again  # its own key
    matcher.forget_matches()
    assert matcher.match("OOO Arktika", "RU", limit=3, threshold=0.5) == again


def test_an_empty_or_legal_form_only_query_matches_nothing(matcher):
    assert matcher.match("") == []
    assert matcher.match("Co., Ltd.") == []


def test_token_similarity_forgives_typos_and_transliteration_not_other_names():
    assert token_similarity("tekhnologii", "tehnologii") == pytest.approx(0.95)
    assert token_similarity("hikvison", "hikvision") > 0.9
    assert token_similarity("huaxin", "huawei") < 0.75
    assert token_similarity("ktc", "ktk") == 0.0


@pytest.mark.parametrize(
    "query",
    ["Golden Lotus Magnet Trdg", "Hua Xin Micro", "Dmitriy Volkov", "KB Trading", "Trading"],
)
@pytest.mark.parametrize("threshold", [0.8, DEFAULT_THRESHOLD])
def test_the_index_returns_what_brute_force_returns(matcher, query, threshold):
    # Above the damping of names that share only descriptive words (GENERIC_ONLY_FACTOR),
    # which the index does not retrieve.
    assert matcher.match(query, country="TH", threshold=threshold) == matcher.brute_force_match(
        query, country="TH", threshold=threshold
    )


# --------------------------------------------------------------------------- evaluation set


def test_the_evaluation_set_is_labelled_against_the_evaluation_list():
    cases = load_evaluation_set()
    assert len(cases) >= 300
    assert {c.label for c in cases} == {"match", "no_match"}
    listed = {e.name for e in evaluation_matcher().entries}
    assert all(c.expected_entry_name in listed for c in cases if c.label == "match")
    with EVALUATION_LIST.open(encoding="utf-8") as handle:
        assert all("source: evaluation" in row["remarks"] for row in csv.DictReader(handle))
    assert EVALUATION_SET.exists()


def test_index_recall_on_the_evaluation_set_equals_brute_force():
    matcher = evaluation_matcher()
    for case in load_evaluation_set():
        kwargs = {"country": case.query_country, "threshold": DEFAULT_THRESHOLD}
        indexed = {h.entry.name for h in matcher.match(case.query, **kwargs)}
        brute = {h.entry.name for h in matcher.brute_force_match(case.query, **kwargs)}
        if case.label == "match" and case.expected_entry_name in brute:
            assert case.expected_entry_name in indexed, case.query
    index_figures = evaluate(DEFAULT_THRESHOLD)
    brute_figures = evaluate(DEFAULT_THRESHOLD, brute_force=True)
    assert index_figures["recall"] >= brute_figures["recall"]
    assert index_figures["fp"] <= brute_figures["fp"]


def test_evaluation_precision_and_recall_at_the_default_threshold():
    figures = evaluate(DEFAULT_THRESHOLD)
    # Measured: precision 0.995, recall 0.937 (419 of 447 listed-name variants alerted,
    # 2 false alerts over 581 rows); floors leave room for small changes, not regressions.
    assert figures["recall"] >= 0.92
    assert figures["precision"] >= 0.98
    assert figures["tp"] + figures["fn"] == sum(
        1 for c in load_evaluation_set() if c.label == "match"
    )
    assert figures["by_variant"]["unrelated_common"].get("fp", 0) == 0
