"""Name normalisation for screening: the same company written two ways gives the same key.

Follows the field's practice (moov-io/watchman, OpenSanctions nomenklatura): transliterate to
ASCII, fold case, drop punctuation, and drop company-type words, which say nothing about who
a party is ("Co., Ltd.", "S.A. de C.V.", "Sdn. Bhd.", "OOO").
"""

from __future__ import annotations

import re

from unidecode import unidecode

# Legal-form words in the languages the controlled trade passes through. Multi-word forms
# are removed before single tokens so "joint stock company" does not leave "joint stock".
LEGAL_FORM_PHRASES = (
    "public joint stock company",
    "closed joint stock company",
    "open joint stock company",
    "joint stock company",
    "limited liability company",
    "limited liability partnership",
    "sociedad anonima de capital variable",
    "sociedad anonima",
    "sociedad de responsabilidad limitada",
    "public company limited",
    "private limited",
    "company limited",
    "co ltd",
    "sa de cv",
    "s de rl de cv",
    "sdn bhd",
    "pte ltd",
    "pvt ltd",
    "anonim sirketi",
)
LEGAL_FORM_WORDS = frozenset(
    (
        "co company corp corporation inc incorporated ltd limited llc llp lp plc "
        "gmbh ag kg mbh sa sas sarl srl spa bv nv ab as oy aps "
        "pte pvt sdn bhd tbk jsc pjsc ojsc cjsc ooo oao zao ao pao "
        "fze fzco fzc fzllc kk ltda cv rl eireli"
    ).split()
)
STOP_WORDS = frozenset({"the", "and", "of"})

_DROP = re.compile(r"[.'`]")  # after unidecode, so typographic apostrophes are ASCII
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def tokens(name: str) -> list[str]:
    """Normalised tokens of a name, legal forms and stop words removed."""
    text = _DROP.sub("", unidecode(name).casefold().replace("&", " and "))
    text = " " + _NON_ALNUM.sub(" ", text).strip() + " "
    for phrase in LEGAL_FORM_PHRASES:
        text = text.replace(f" {phrase} ", " ")
    return [t for t in text.split() if t not in LEGAL_FORM_WORDS and t not in STOP_WORDS]


def normalise(name: str) -> str:
    """The name as one normalised string, word order kept."""
    return " ".join(tokens(name))


def sorted_key(name: str) -> str:
    """Order-free key, so "VOLKOV, Dmitri" and "Dmitri Volkov" agree."""
    return " ".join(sorted(tokens(name)))
