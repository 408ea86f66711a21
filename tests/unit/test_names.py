"""Name normalisation: one company written many ways gives one key."""

from __future__ import annotations

import pytest

from screener.reference.names import (
    canonical_tokens,
    fold_lookalikes,
    is_patronymic,
    legal_forms,
    normalise,
    phonetic_key,
    phrases_in,
    skeleton,
    sorted_key,
    tokens,
)

CYRILLIC_O = "\u043e"
CYRILLIC_EN = "\u041d"
GREEK_IOTA = "\u0399"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Shanghai Xinda Magnetics Co., Ltd.", "shanghai xinda magnetics"),
        ("SHANGHAI XINDA MAGNETICS COMPANY LIMITED", "shanghai xinda magnetics"),
        ("Pacifico Raros Importaciones S.A. de C.V.", "pacifico raros importaciones"),
        ("Kuala Strategic Supplies Sdn. Bhd.", "kuala strategic supplies"),
        ("Saigon Rare Metals Joint Stock Company", "saigon rare metals"),
        ("Arktika Tekhnologii OOO", "arktika tekhnologii"),
        ("Müller & Söhne GmbH", "muller sohne"),
        ("Gulf Horizon General Trading FZE", "gulf horizon general trading"),
    ],
)
def test_legal_forms_case_accents_and_punctuation_go(written, expected):
    assert normalise(written) == expected


def test_word_order_is_kept_by_normalise_and_dropped_by_sorted_key():
    assert normalise("VOLKOV, Dmitri") != normalise("Dmitri Volkov")
    assert sorted_key("VOLKOV, Dmitri") == sorted_key("Dmitri Volkov")


def test_a_name_made_only_of_legal_forms_is_empty():
    assert normalise("Co., Ltd.") == ""


# --------------------------------------------------------------------------- legal forms


@pytest.mark.parametrize(
    ("written", "expected", "form"),
    [
        # Russian, spelt out in three transliterations, abbreviated, and in Cyrillic
        ("Obshchestvo s Ogranichennoy Otvetstvennostyu Arktika", "arktika", "ooo"),
        ("OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTIU ARKTIKA", "arktika", "ooo"),
        ("Obschestvo s ogranichennoj otvetstvennost'ju Arktika", "arktika", "ooo"),
        ("\u041e\u041e\u041e \u0410\u0440\u043a\u0442\u0438\u043a\u0430", "arktika", "ooo"),
        ("Aktsionernoye Obshchestvo Mikron", "mikron", "ao"),
        ("Publichnoe Aktsionernoe Obshchestvo Sberbank", "sberbank", "pao"),
        ("Zakrytoe Aktsionernoe Obshchestvo Angstrem", "angstrem", "zao"),
        # Chinese pinyin: youxian gongsi (limited company), gufen (shares)
        ("Huawei Jishu Youxian Gongsi", "huawei jishu", "ltd"),
        ("Hangzhou Hikvision Gufen Youxian Gongsi", "hangzhou hikvision", "jsc"),
        ("Inspur Youxian Zeren Gongsi", "inspur", "llc"),
        # Turkish, Malay, Thai (borisat ... jamkat around the name), Vietnamese
        ("Anadolu Savunma Anonim Sirketi", "anadolu savunma", "as"),
        ("Anadolu Savunma A.Ş.", "anadolu savunma", "as"),
        ("Kuala Strategic Supplies Sendirian Berhad", "kuala strategic supplies", "sdn bhd"),
        ("Borisat Siam Precision Jamkat", "siam precision", "co"),
        ("Saigon Rare Metals Cong Ty Co Phan", "saigon rare metals", "jsc"),
        # German, Italian, Dutch, French, Spanish, Portuguese, Polish
        ("Robert Bosch Gesellschaft mit beschränkter Haftung", "robert bosch", "gmbh"),
        ("Siemens Aktiengesellschaft", "siemens", "ag"),
        ("Leonardo Societa per Azioni", "leonardo", "spa"),
        ("ASML Holding Naamloze Vennootschap", "asml holding", "nv"),
        ("Thales Societe Anonyme", "thales", "sa"),
        ("Petróleos de Venezuela, S.A.", "petroleos venezuela", "sa"),
        ("Metalurgica Paulista Sociedade Anonima", "metalurgica paulista", "sa"),
        ("Grupo Bimbo S.A.B. de C.V.", "grupo bimbo", "sa de cv"),
        ("Komponenty Sp. z o.o.", "komponenty", "sp z oo"),
        # English, and forms written without a separator
        ("Hikvision Digital Technology Co.Ltd", "hikvision digital technology", "ltd"),
        ("Starlight Components Pte. Ltd.", "starlight components", "ltd"),
    ],
)
def test_company_types_across_languages_are_recognised_and_removed(written, expected, form):
    assert normalise(written) == expected
    assert form in legal_forms(written)


def test_real_words_that_look_like_short_legal_forms_stay():
    assert tokens("Asia Pacific Cosco Shipping") == ["asia", "pacific", "cosco", "shipping"]
    assert tokens("Saab AB") == ["saab"]


# --------------------------------------------------------------------------- look-alikes


def test_a_cyrillic_letter_hidden_in_a_latin_word_reads_as_the_latin_one():
    disguised = f"{CYRILLIC_EN}{CYRILLIC_O}rizon Trading"  # would transliterate to "Norizon"
    assert fold_lookalikes(disguised) == "Horizon Trading"
    assert tokens(disguised) == ["horizon", "trading"]
    assert tokens(f"{GREEK_IOTA}nspur Group") == ["inspur", "group"]


def test_an_all_cyrillic_name_is_transliterated_not_read_as_look_alikes():
    assert tokens("\u0420\u043e\u0441\u0442\u0435\u0445") == ["rostekh"]  # not "poctex"


def test_digits_inside_words_read_as_letters_but_numbers_stay():
    assert tokens("HUAWE1 TECHN0LOGIES") == ["huawei", "technologies"]
    assert tokens("Room 1801, Block B5, 518057") == ["room", "1801", "block", "b5", "518057"]


# --------------------------------------------------------------------------- phonetic key


@pytest.mark.parametrize(
    "variants",
    [
        ("tekhnologiy", "tehnologii", "tekhnologii"),
        ("dmitriy", "dmitrij", "dmitri", "dmitrii"),
        ("sergeyevich", "sergejewitsch", "sergeevich"),
        ("rosoboronexport", "rosoboroneksport"),
        ("yevgeniy", "evgeny", "jewgeni"),
        ("kontsern", "concern"),
        ("otvetstvennostyu", "otvetstvennostiu", "otvetstvennostju"),
        ("aktsionernoye", "aktsionernoe"),
        ("yakovlev", "jakowlew", "iakovlev"),
        ("philips", "filips"),
        ("mikron", "micron"),
    ],
)
def test_transliteration_variants_share_one_phonetic_key(variants):
    assert len({phonetic_key(v) for v in variants}) == 1


@pytest.mark.parametrize(("a", "b"), [("huawei", "huaxin"), ("zhang", "shang"), ("siam", "sam")])
def test_different_names_keep_different_keys(a, b):
    assert phonetic_key(a) != phonetic_key(b)


def test_skeleton_is_the_keys_of_the_tokens():
    assert skeleton("Tekhnologii Dmitriy Co., Ltd.") == "tehnologi dmitri"


# --------------------------------------------------------------------------- canonical words


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Inspur Jituan Youxian Gongsi", ("inspur", "group")),
        ("Arktika Tekhnologii OOO", ("arktika", "technology")),
        ("Zhongguo Dianzi Keji Jituan", ("china", "electronics", "technology", "group")),
        ("Golden Lotus Intl Trdg", ("golden", "lotus", "international", "trading")),
        ("Chinese Academy of Engineering Physics", ("china", "academy", "engineering", "physics")),
        ("Banco Central de Venezuela", ("bank", "central", "venezuela")),
    ],
)
def test_abbreviations_and_translated_descriptive_words_become_one(written, expected):
    assert canonical_tokens(written) == expected


def test_fragments_and_cut_ends_of_legal_forms_go_too():
    # a customs field cut at 35 characters, a legal form broken up by reordering
    assert normalise("STARLIGHT CRYSTAL ELECTRONICS LIMIT") == "starlight crystal electronics"
    assert legal_forms("RASA SHAMDADAAN PETROCHEMICAL COMPA") == ("co",)
    assert normalise("Hoahatech Engineering Joint Stock") == "hoahatech engineering"
    assert normalise("Komprominvest Liability Ltd") == "komprominvest"
    assert normalise("Limit") == "limit"  # a name is never only a cut legal form


def test_misspelt_descriptive_words_still_become_the_canonical_word():
    assert canonical_tokens("Technolgy Electronis Industrail") == (
        "technology",
        "electronics",
        "industry",
    )
    assert canonical_tokens("Rawabi Madinim Induustries") == ("rawabi", "madinim", "industry")
    assert canonical_tokens("Hindustan Aeronautics") == ("hindustan", "aeronautics")


def test_patronymics_are_recognised():
    assert is_patronymic("vladimirovich") and is_patronymic("nikolayevna")
    assert not is_patronymic("ivanov") and not is_patronymic("dmitri")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kowloon Import-Export Ltd.", ["import export", "Export"]),
        ("Kowloon IMPORT  EXPORT Ltd.", ["import export", "Export"]),
        ("Kowloon Metals Trading", []),  # "metal" is a word of its own, not a prefix
        ("", []),
        (None, []),
    ],
)
def test_phrases_are_found_as_whole_words_in_any_case_and_punctuation(text, expected):
    assert phrases_in(["import export", "metal", "Export", "", "--"], text) == expected
