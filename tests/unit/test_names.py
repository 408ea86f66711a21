"""Name normalisation: one company written many ways gives one key."""

from __future__ import annotations

import pytest

from screener.reference.names import normalise, sorted_key


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
