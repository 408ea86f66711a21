"""Near-miss spellings of listed parties, as declarants type them to slip past screening.

The variants are the ones name-matching practice meets (moov-io/watchman, OpenSanctions):
typos, transliteration swaps, dropped or abbreviated legal forms, reordered words, aliases.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from screener.reference.screening_lists import LOADERS

LISTS = Path(__file__).resolve().parent.parent / "data" / "lists"
SAMPLE_LISTS = (
    ("csl", LISTS / "csl-sample.csv"),
    ("sdn", LISTS / "sdn-sample" / "sdn.csv"),
    ("un", LISTS / "un-sample.xml"),
)
LEGAL_FORMS = re.compile(
    r",?\s+(co\.?,?\s*ltd\.?|company limited|limited|ltd\.?|llc|l\.l\.c\.|llp|pte\.? ltd\.?|"
    r"sdn\.? bhd\.?|s\.a\. de c\.v\.|fze|ooo|a\.s\.|joint stock company|jsc|corporation)$",
    re.IGNORECASE,
)
TRANSLITERATIONS = (
    ("ks", "x"),
    ("x", "ks"),
    ("i", "y"),
    ("y", "i"),
    ("ou", "u"),
    ("u", "ou"),
    ("ph", "f"),
    ("c", "k"),
    ("k", "c"),
    ("ee", "i"),
    ("sh", "ch"),
    ("o", "a"),
)
STYLES = ("typo", "transliteration", "no_legal_form", "abbreviated", "reordered", "alias")


@dataclass(frozen=True)
class Listed:
    name: str
    aliases: tuple[str, ...]
    countries: tuple[str, ...]
    address: str | None


@cache
def listed_entities() -> tuple[Listed, ...]:
    """Companies of the shipped sample lists (people and vessels do not sign declarations)."""
    found = []
    for fmt, path in SAMPLE_LISTS:
        for entry in LOADERS[fmt](path, fmt):
            if entry.entity_type.casefold() in ("entity", "") and entry.countries:
                found.append(
                    Listed(
                        entry.name,
                        entry.aliases,
                        tuple(sorted(entry.countries)),
                        entry.addresses[0] if entry.addresses else None,
                    )
                )
    return tuple(found)


def near_miss(rng: random.Random, listed: Listed) -> tuple[str, str]:
    """(spelling, style): the listed name or an alias, changed the way one style changes it."""
    style = rng.choice(STYLES)
    name = rng.choice(listed.aliases) if style == "alias" and listed.aliases else listed.name
    if rng.random() < 0.3:
        name = name.title() if name.isupper() else name
    if style == "typo":
        name = _typo(rng, name)
    elif style == "transliteration":
        name = _transliterate(rng, name)
    elif style == "no_legal_form":
        name = LEGAL_FORMS.sub("", name) or name
    elif style == "abbreviated":
        name = re.sub(r"(?i)\bcompany limited\b", "Co Ltd", name)
        name = re.sub(r"(?i)\b(trading|technology|international)\b", lambda m: m[0][:4] + ".", name)
    elif style == "reordered":
        name = _reorder(rng, name)
    return name, style


def _typo(rng: random.Random, name: str) -> str:
    words = name.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return name
    i = rng.choice(candidates)
    w = words[i]
    at = rng.randrange(1, len(w) - 1)
    edit = rng.choice(("drop", "double", "swap"))
    if edit == "drop":
        w = w[:at] + w[at + 1 :]
    elif edit == "double":
        w = w[:at] + w[at] + w[at:]
    else:
        w = w[: at - 1] + w[at] + w[at - 1] + w[at + 1 :]
    words[i] = w
    return " ".join(words)


def _transliterate(rng: random.Random, name: str) -> str:
    options = [(a, b) for a, b in TRANSLITERATIONS if a in name.lower()]
    if not options:
        return _typo(rng, name)
    a, b = rng.choice(options)
    at = name.lower().index(a)
    replacement = b.upper() if name[at].isupper() else b
    return name[:at] + replacement + name[at + len(a) :]


def _reorder(rng: random.Random, name: str) -> str:
    core = LEGAL_FORMS.sub("", name)
    suffix = name[len(core) :]
    words = core.split()
    if len(words) < 2:
        return name
    i = rng.randrange(len(words) - 1)
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words) + suffix
