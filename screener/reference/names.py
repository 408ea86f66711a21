"""Name normalisation for screening: the same company written two ways gives the same key.

Follows the field's practice (moov-io/watchman, OpenSanctions nomenklatura/rigour):

1. look-alike characters: a Cyrillic or Greek letter hidden in a Latin word ("Horizon" written
   with a Cyrillic "EN") is read as the Latin letter it imitates, not transliterated ("Norizon");
2. transliterate to ASCII, fold case, drop punctuation;
3. company-type words ("Co., Ltd.", "S.A. de C.V.", "Sdn. Bhd.", "OOO", "obshchestvo s
   ogranichennoy otvetstvennostyu", "youxian gongsi", "anonim sirketi") are recognised in
   many languages and spellings, mapped to a canonical form (`legal_forms`) and removed from
   the tokens, since they say nothing about who a party is;
4. connecting words ("of", "de", "und", ...) are dropped.

`tokens`, `normalise` and `sorted_key` give that normalised form. `canonical_tokens` goes one
step further for matching: abbreviations and the same descriptive word in other languages
("intl", "tekhnologii", "jituan") become one word ("international", "technology", "group").
`phonetic_key` folds transliteration variants of one token ("tekhnologiy"/"tehnologii",
"Dmitriy"/"Dmitri") to one key, used to find candidates and to recognise spelt-out legal forms.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from unidecode import unidecode

# --------------------------------------------------------------------------- look-alikes

# Cyrillic and Greek letters that are drawn like a Latin letter. Used only inside words that
# also hold Latin letters, or in names that are otherwise Latin: an all-Cyrillic name is
# transliterated (Cyrillic ER -> R), a Latin name with a Cyrillic ER in it is read as P.
LOOKALIKES = {
    # Cyrillic capitals and small letters
    "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u0405": "S", "\u0406": "I", "\u0408": "J",
    "\u041a": "K", "\u041c": "M", "\u041d": "H", "\u041e": "O", "\u0420": "P", "\u0421": "C",
    "\u0422": "T", "\u0423": "Y", "\u0425": "X", "\u051a": "Q", "\u051c": "W", "\u04ae": "Y",
    "\u04c0": "I", "\u0430": "a", "\u0435": "e", "\u0455": "s", "\u0456": "i", "\u0458": "j",
    "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0443": "y", "\u0445": "x", "\u04bb": "h",
    "\u051b": "q", "\u051d": "w", "\u04cf": "l", "\u04af": "y",
    # Greek capitals and small letters
    "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0396": "Z", "\u0397": "H", "\u0399": "I",
    "\u039a": "K", "\u039c": "M", "\u039d": "N", "\u039f": "O", "\u03a1": "P", "\u03a4": "T",
    "\u03a5": "Y", "\u03a7": "X", "\u03b1": "a", "\u03b9": "i", "\u03ba": "k", "\u03bd": "v",
    "\u03bf": "o", "\u03c1": "p", "\u03c5": "u", "\u03f2": "c",
}  # fmt: skip

_WORD_SPLIT = re.compile(r"(\s+)")


@lru_cache(maxsize=4096)
def _script(char: str) -> str | None:
    if char.isascii():
        return "latin" if char.isalpha() else None
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    for script in ("LATIN", "CYRILLIC", "GREEK"):
        if name.startswith(script):
            return script.casefold()
    return "other"


def fold_lookalikes(text: str) -> str:
    """Read Cyrillic/Greek look-alike letters as Latin where the text around them is Latin."""
    if text.isascii():
        return text
    words = _WORD_SPLIT.split(text)
    scripts = [{_script(c) for c in word} - {None} for word in words]
    name_has_latin = any("latin" in s for s in scripts)
    out = []
    for word, found in zip(words, scripts, strict=True):
        foreign = found & {"cyrillic", "greek"}
        mixed = "latin" in found and foreign
        disguised = (
            name_has_latin
            and foreign
            and found <= {"cyrillic", "greek"}
            and all(c in LOOKALIKES for c in word if c.isalpha())
        )
        out.append("".join(LOOKALIKES.get(c, c) for c in word) if mixed or disguised else word)
    return "".join(out)


# --------------------------------------------------------------------------- legal forms

# Company-type designations by canonical form. Written forms are given as they read after
# transliteration, case folding and punctuation removal ("S.A. de C.V." -> "sa de cv",
# "Sp. z o.o." -> "sp z oo"). Forms of six letters or more are also recognised in other
# transliterations through `phonetic_key` ("ogranichennoy"/"ogranichennoi"/"ogranichennoj").
LEGAL_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "ltd": ("limited", "ltd", "company limited", "co ltd", "coltd", "limited company",
                "private limited", "pvt ltd", "pvtltd", "pte ltd", "pteltd", "pty ltd", "pty",
                "pte", "pvt"),
        "pcl": ("public company limited", "pcl"),
        "plc": ("public limited company", "plc"),
        "llc": ("limited liability company", "limited liability co", "limited liability",
                "liability", "llc", "l l c"),
        "llp": ("limited liability partnership", "llp"),
        "lp": ("limited partnership", "lp"),
        "inc": ("incorporated", "inc"),
        "corp": ("corporation", "corp"),
        "co": ("company", "co", "cos"),
        "jsc": ("joint stock company", "joint stock co", "joint stock", "jsc", "jsco", "jstc"),
        "pjsc": ("public joint stock company", "pjsc", "pjs"),
        "ojsc": ("open joint stock company", "ojsc"),
        "cjsc": ("closed joint stock company", "cjsc"),
        "fze": ("free zone establishment", "fze", "fzc", "fzco", "free zone company",
                "fz llc", "fzllc", "fze llc"),
    },
    "es/pt": {
        "sa de cv": ("sociedad anonima de capital variable", "sa de cv", "s a de c v",
                     "sapi de cv", "sab de cv"),
        "s de rl de cv": ("s de rl de cv", "s de r l de c v",
                          "sociedad de responsabilidad limitada de capital variable"),
        "s de rl": ("sociedad de responsabilidad limitada", "s de rl", "s de r l"),
        "sa": ("sociedad anonima", "sociedade anonima", "compania anonima", "sa", "s a",
               "ca", "sau"),
        "sl": ("sociedad limitada", "sl", "slu"),
        "ltda": ("limitada", "ltda"),
        "eireli": ("empresa individual de responsabilidade limitada", "eireli"),
        "co": ("compania", "companhia", "cia"),
    },
    "fr": {
        "sa": ("societe anonyme",),
        "sarl": ("societe a responsabilite limitee", "sarl", "eurl"),
        "sas": ("societe par actions simplifiee", "sas", "sasu"),
        "snc": ("societe en nom collectif", "snc"),
    },
    "de": {
        "gmbh": ("gesellschaft mit beschrankter haftung", "gmbh", "gesmbh", "mbh"),
        "ag": ("aktiengesellschaft", "ag"),
        "kg": ("kommanditgesellschaft", "kg", "gmbh co kg", "gmbh und co kg", "ohg"),
        "ug": ("unternehmergesellschaft haftungsbeschrankt",),
    },
    "it": {
        "spa": ("societa per azioni", "spa"),
        "srl": ("societa a responsabilita limitata", "srl"),
    },
    "nl/nordic/pl": {
        "bv": ("besloten vennootschap", "bv"),
        "nv": ("naamloze vennootschap", "nv"),
        "ab": ("aktiebolag", "ab"),
        "as": ("aksjeselskap", "aktieselskab", "as", "asa", "aps"),
        "oy": ("osakeyhtio", "oy", "oyj"),
        "sp z oo": ("spolka z ograniczona odpowiedzialnoscia", "sp z oo"),
    },
    "ru/uk/by": {
        "ooo": ("obshchestvo s ogranichennoy otvetstvennostyu", "obshchestvo", "ooo", "tov", "odo",
                "tovarystvo z obmezhenoyu vidpovidalnistyu"),
        "ao": ("aktsionernoe obshchestvo", "ao", "at"),
        "pao": ("publichnoe aktsionernoe obshchestvo", "pao", "pat"),
        "oao": ("otkrytoe aktsionernoe obshchestvo", "oao"),
        "zao": ("zakrytoe aktsionernoe obshchestvo", "zao"),
        "fgup": ("federalnoe gosudarstvennoe unitarnoe predpriyatie", "fgup", "gup"),
        "co": ("kompaniya", "kompania"),
        "corp": ("korporatsiya", "korporatsia"),
    },
    "zh": {  # pinyin; "jituan" (group) is a descriptive word, see CANONICAL_WORDS
        "ltd": ("youxian gongsi",),
        "llc": ("youxian zeren gongsi",),
        "jsc": ("gufen youxian gongsi", "gufen gongsi", "gufen"),
        "co": ("gongsi",),
    },
    "tr": {
        "as": ("anonim sirketi", "anonim sirket", "anonim", "as", "a s"),
        "co": ("sirketi",),
        "ltd": ("limited sirketi", "ltd sti", "sti"),
    },
    "ms/id": {
        "sdn bhd": ("sendirian berhad", "sdn bhd", "sdnbhd", "sdn"),
        "bhd": ("berhad", "bhd"),
        "pt": ("perseroan terbatas", "pt", "tbk"),
    },
    "th": {  # borisat ... jamkat (mahachon): "company ... limited (public)" around the name
        "co": ("borisat", "bo ri sat"),
        "ltd": ("jamkat", "chamkat", "jumkat", "chamkad", "jamkad"),
        "pcl": ("jamkat mahachon", "chamkat mahachon", "mahachon"),
    },
    "vi": {
        "jsc": ("cong ty co phan",),
        "llc": ("cong ty tnhh", "trach nhiem huu han", "tnhh"),
        "co": ("cong ty",),
    },
    "ja/ko": {
        "kk": ("kabushiki kaisha", "kabushiki gaisha", "kk"),
        "llc": ("godo kaisha", "yugen kaisha"),
        "co": ("jusik hoesa", "chusik hoesa", "chusik hoisa"),
    },
    "fa/ar": {
        "co": ("sherkat", "sharikat", "shirkat"),
        "pjs": ("sahami khass", "sahami khas", "sahami aam"),
    },
}  # fmt: skip

# Phrases at least this long (letters) also match in other transliterations, by phonetic key;
# shorter ones ("ao", "sa", "as") must be written exactly, or real words would be eaten.
LEGAL_FORM_FUZZY_MIN_LETTERS = 6

# Connecting words across the languages of the lists; they carry no identity.
STOP_WORDS = frozenset("the and of for de del la le les el los las y e des et und".split())

# --------------------------------------------------------------------------- canonical words

# Abbreviations and the same descriptive word in other languages or pinyin, for matching.
CANONICAL_WORDS: dict[str, tuple[str, ...]] = {
    "group": ("jituan", "grupo", "groupe", "gruppe", "gruppo", "groep", "gruppa", "grup",
              "grp", "groups"),
    "international": ("intl", "internacional", "internationale", "internazionale", "int"),
    "technology": ("tech", "techn", "technologies", "technologie", "technologien",
                   "tecnologia", "tecnologias", "tekhnologii", "tekhnologiya", "tekhnologiy",
                   "tehnologii", "teknoloji", "teknologi", "keji", "jishu"),
    "trading": ("trdg", "trade", "maoyi", "ticaret", "torgovyy", "torgovyi", "torgovy"),
    "industry": ("industries", "industrial", "ind", "inds", "industria", "industrias",
                 "industrie", "industriya", "sanayi", "sanaye", "gongye"),
    "electronics": ("electronic", "elec", "electr", "electronica", "elektronik",
                    "elektronika", "elektroniks", "dianzi"),
    "engineering": ("engg", "engr", "ingenieria", "inzhiniring", "muhendislik", "gongcheng"),
    "manufacturing": ("mfg", "mfr", "manufacture", "manufacturer", "manufacturers"),
    "development": ("dev", "devt", "desarrollo", "fazhan"),
    "investment": ("investments", "inv", "invest", "touzi"),
    "holding": ("holdings", "hldgs", "konggu"),
    "national": ("natl", "nacional", "nationale"),
    "university": ("univ", "universidad", "universite", "universitat", "universitet",
                   "daxue"),
    "institute": ("inst", "instituto", "institut", "institutul", "yanjiusuo"),
    "science": ("sci", "sciences", "kexue"),
    "services": ("svcs", "svc", "service", "servicios", "servicos"),
    "logistics": ("logistic", "logistica", "logistik", "wuliu"),
    "machinery": ("mach", "machines", "jixie"),
    "materials": ("material", "matls", "cailiao"),
    "bank": ("banco", "banque", "bankasi", "yinhang"),
    "import": ("imp", "importaciones", "importacion"),
    "export": ("exp", "exportaciones", "exportacion"),
    "equipment": ("equip", "eqpt", "shebei"),
    "communications": ("communication", "comm", "comms", "tongxin"),
    "systems": ("system", "sys", "sistemas", "xitong"),
    "management": ("mgmt", "mgt"),
    "concern": ("kontsern", "konzern"),
    "information": ("info", "inf"),
    "academy": ("acad", "academia", "akademiya"),
    "republic": ("rep", "repub", "republica", "respublika"),
    "organization": ("org", "organisation", "organizacion", "organizatsiya"),
    "center": ("centre", "ctr", "centro", "tsentr"),
    "defense": ("defence", "def"),
    # demonyms: "Chinese Academy" / "China Academy", "National Iran Oil" / "National Iranian Oil"
    "china": ("zhongguo", "prc", "chinese"),
    "iran": ("iranian",),
    "russia": ("russian", "rossii", "rossiya", "rossiyskaya"),
    "korea": ("korean",),
    "syria": ("syrian",),
    "venezuela": ("venezuelan", "venezolana", "venezolano"),
    "mexico": ("mexican", "mexicana", "mexicano"),
    "belarus": ("belarusian", "belorusskiy"),
    "association": ("assn", "assoc", "associated"),
    "headquarters": ("hq", "hqs"),
    "airlines": ("airline", "airways"),
}  # fmt: skip

# Words that many unrelated companies share (activities, places, "group"). They stay in the
# name, but a match made only of them says little; the matcher counts them at a lower weight.
GENERIC_WORDS = frozenset(
    (
        "technology trading group international industry electronics engineering manufacturing "
        "development investment holding national university institute science services "
        "logistics machinery materials bank import export equipment communications systems "
        "management concern general global new energy supply supplies solutions products "
        "precision components digital information network intelligent micro microelectronics "
        "semiconductor commercial enterprise enterprises factory plant works metal metals "
        "resources chemical chemicals petrochemical power electric aviation aerospace defense "
        "shipping marine maritime construction research center state star golden east west "
        "north south asia pacific euro china hong kong hk shenzhen shanghai beijing guangzhou "
        "hangzhou tianjin zhejiang jiangsu guangdong fujian sichuan hubei xinjiang wuhan xiamen "
        "nanjing chengdu harbin russia moscow iran dubai emirates gulf middle korea turkey "
        "mexico venezuela syria belarus thailand siam malaysia singapore vietnam saigon "
        "kazakhstan trade partners associates brothers sons organization association agency "
        "bureau academy administration ministry department authority foundation council "
        "committee society union federation federal republic islamic democratic people peoples "
        "united central foreign economic airlines lines cartel corps oil gas petroleum mining "
        "steel motor motors banking credit finance financial capital insurance headquarters "
        "office branch overseas"
    ).split()
)

# --------------------------------------------------------------------------- phonetic key

# Transliteration variants folded to one spelling, applied left to right, longest first.
# Russian: shch/sch, kh/h, ts/c, zh/dzh/j, ya/ia/ja, yu/iu/ju, ye/je/e, y/i; German: sch, tsch, w/v,
# ae/oe/ue; French-style "ou"; English "ph", "ck", "q", "x"; "c" before a hard sound as "k".
PHONETIC_RULES: dict[str, str] = {
    "shch": "sh", "tsch": "ch", "sch": "sh", "tch": "ch", "dzh": "j", "zh": "j",
    "kh": "h", "gh": "g", "ph": "f", "th": "t", "ck": "k", "ts": "c", "tz": "c",
    "x": "ks", "q": "k", "w": "v", "ou": "u",
    "yu": "iu", "ju": "iu", "ya": "ia", "ja": "ia", "ye": "e", "je": "e",
    "yo": "o", "jo": "o", "ae": "a", "oe": "o", "ue": "u", "y": "i",
}  # fmt: skip
_PHONETIC = re.compile(
    "|".join(sorted(map(re.escape, PHONETIC_RULES), key=len, reverse=True)) + r"|c(?=[aoulrt]|$)"
)
_DOUBLE = re.compile(r"(.)\1+")


def _phonetic_replacement(match: re.Match[str]) -> str:
    return PHONETIC_RULES.get(match.group(0), "k")  # the lookahead rule: hard "c" -> "k"


@lru_cache(maxsize=262144)
def phonetic_key(token: str) -> str:
    """One key for the transliteration variants of a token: "tekhnologiy" -> "tehnologi"."""
    key = token
    for _ in range(2):  # twice, so "aktsionernoye" (ye -> e, then oe -> o) meets "aktsionernoe"
        key = _PHONETIC.sub(_phonetic_replacement, key)
    if key.endswith("j"):  # Sergej / Sergey / Sergei
        key = key[:-1] + "i"
    return _DOUBLE.sub(r"\1", key)


def skeleton(name: str) -> str:
    """Phonetic keys of a name's tokens, in order: a coarse key for candidate generation."""
    return " ".join(phonetic_key(t) for t in tokens(name))


# --------------------------------------------------------------------------- tokens

_DROP = re.compile(r"[.'`\u02bc]")  # after unidecode, so typographic apostrophes are ASCII
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGIT_LOOKALIKES = str.maketrans({"0": "o", "1": "i", "5": "s"})


def _fold_digits(token: str) -> str:
    # "HUAWE1", "R0SNEFT": a digit inside a word of letters is an OCR or disguise slip.
    letters = sum(c.isalpha() for c in token)
    if letters >= 3 and letters >= 0.75 * len(token) and letters < len(token):
        return token.translate(_DIGIT_LOOKALIKES)
    return token


def _build_form_tables() -> tuple[dict, dict]:
    """Legal-form phrases by their first word, and (long ones) by their first word's key."""
    exact: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    fuzzy: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for by_form in LEGAL_FORMS.values():
        for canonical, written_forms in by_form.items():
            for written in written_forms:
                words = tuple(written.split())
                exact.setdefault(words[0], []).append((words, canonical))
                if sum(len(w) for w in words) >= LEGAL_FORM_FUZZY_MIN_LETTERS:
                    keys = tuple(phonetic_key(w) for w in words)
                    fuzzy.setdefault(keys[0], []).append((keys, canonical))
    for table in (exact, fuzzy):
        for options in table.values():
            options.sort(key=lambda option: len(option[0]), reverse=True)
    return exact, fuzzy


_EXACT_FORMS, _FUZZY_FORMS = _build_form_tables()
_CANONICAL_WORD = {v: k for k, variants in CANONICAL_WORDS.items() for v in variants}


# A name cut by a fixed-width field can end in the start of a legal form ("... LIMIT",
# "... COMPA"): a last word of at least this many letters that starts a one-word legal form
# of at least LEGAL_FORM_FUZZY_MIN_LETTERS letters counts as that form.
LEGAL_FORM_CUT_MIN_LETTERS = 4
_ONE_WORD_FORMS = sorted(  # shortest first: "limit" is "limited" before "limitada"
    (len(w), w, canonical)
    for by_form in LEGAL_FORMS.values()
    for canonical, written_forms in by_form.items()
    for w in written_forms
    if " " not in w and len(w) >= LEGAL_FORM_FUZZY_MIN_LETTERS
)


def _cut_legal_form(word: str) -> str | None:
    if len(word) < LEGAL_FORM_CUT_MIN_LETTERS:
        return None
    for _, form, canonical in _ONE_WORD_FORMS:
        if form.startswith(word):
            return canonical
    return None


def _split_legal_forms(words: list[str]) -> tuple[list[str], list[str]]:
    kept: list[str] = []
    forms: list[str] = []
    keys = [phonetic_key(w) for w in words]
    i = 0
    while i < len(words):
        found = None
        for phrase, canonical in _FUZZY_FORMS.get(keys[i], ()):
            if tuple(keys[i : i + len(phrase)]) == phrase:
                found = (len(phrase), canonical)
                break
        if found is None:
            for phrase, canonical in _EXACT_FORMS.get(words[i], ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    found = (len(phrase), canonical)
                    break
        if found is None and i == len(words) - 1 and kept and (cut := _cut_legal_form(words[i])):
            found = (1, cut)
        if found is None:
            kept.append(words[i])
            i += 1
        else:
            forms.append(found[1])
            i += found[0]
    return kept, forms


@lru_cache(maxsize=65536)
def _analyse(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    text = unidecode(fold_lookalikes(name)).casefold().replace("&", " and ")
    text = _DROP.sub("", text)
    words = [_fold_digits(w) for w in _NON_ALNUM.sub(" ", text).split()]
    kept, forms = _split_legal_forms(words)
    return tuple(w for w in kept if w not in STOP_WORDS), tuple(forms)


def tokens(name: str) -> list[str]:
    """Normalised tokens of a name, legal forms and stop words removed."""
    return list(_analyse(name)[0])


def legal_forms(name: str) -> tuple[str, ...]:
    """Canonical company-type designations found in a name: "OOO Arktika" -> ("ooo",)."""
    return _analyse(name)[1]


# Misspelt descriptive words ("induustries", "servifios", "technolgy") are read as the word
# they miss by one letter, when they are this long and only one canonical word fits: else
# canonicalisation would move them further from the list's spelling.
CANONICAL_TYPO_MIN_LEN = 6


def _one_letter_off() -> dict[str, str]:
    table: dict[str, set[str]] = {}
    for canonical, variants in CANONICAL_WORDS.items():
        for word in (canonical, *variants):
            if len(word) >= CANONICAL_TYPO_MIN_LEN:
                for key in {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}:
                    table.setdefault(key, set()).add(canonical)
    return {key: next(iter(c)) for key, c in table.items() if len(c) == 1}


_ONE_LETTER_OFF = _one_letter_off()


def canonical_word(token: str) -> str:
    """The canonical spelling of a descriptive word or abbreviation ("intl" -> "international"),
    also when it is misspelt by one letter ("industires" -> "industry")."""
    known = _CANONICAL_WORD.get(token)
    if known is not None or len(token) < CANONICAL_TYPO_MIN_LEN or token in GENERIC_WORDS:
        return known or token
    fits = {_ONE_LETTER_OFF.get(token)}
    fits.update(_ONE_LETTER_OFF.get(token[:i] + token[i + 1 :]) for i in range(len(token)))
    fits.discard(None)
    return fits.pop() if len(fits) == 1 else token


@lru_cache(maxsize=65536)
def canonical_tokens(name: str) -> tuple[str, ...]:
    """Tokens for matching: normalised, then abbreviations and translated words made one."""
    return tuple(canonical_word(t) for t in _analyse(name)[0])


def is_generic(token: str) -> bool:
    """True for a canonical token that many unrelated companies share ("trading", "shenzhen")."""
    return token in GENERIC_WORDS


# Russian, Ukrainian, Belarusian, Turkic patronymics: often left out of a person's name
# ("Oleg Deripaska" for "DERIPASKA, Oleg Vladimirovich"), so they weigh less.
PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ichna", "ogly", "oglu", "kyzy", "qizi")


def is_patronymic(token: str) -> bool:
    return len(token) > 6 and token.endswith(PATRONYMIC_ENDINGS)


_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=4096)
def _padded_words(text: str) -> str:
    """ " import export " for "Import-Export": words between single spaces, padded."""
    return f" {' '.join(_WORD.findall(text.casefold()))} "


def phrases_in(phrases: list[str], text: str | None) -> list[str]:
    """The phrases (word sequences, any case and punctuation) that occur in `text` as whole
    words: "import export" is in "Kowloon Import-Export Ltd.", "metal" is not in "Metals"."""
    padded = _padded_words(text or "")
    return [p for p in phrases if (words := _padded_words(p)) != "  " and words in padded]


def normalise(name: str) -> str:
    """The name as one normalised string, word order kept."""
    return " ".join(_analyse(name)[0])


def sorted_key(name: str) -> str:
    """Order-free key, so "VOLKOV, Dmitri" and "Dmitri Volkov" agree."""
    return " ".join(sorted(_analyse(name)[0]))


def clear_caches() -> None:
    """Forget cached normalisations (memory, or to time normalisation itself)."""
    for cached in (_analyse, canonical_tokens, phonetic_key):
        cached.cache_clear()
