"""How fast fuzzy name screening is against a large list: the candidate index and brute force.

    .venv/bin/python bench/name_matching.py [--entries 50000] [--queries 5000]
                                            [--brute-queries 200] [--seed 7]

Prints figures and asserts nothing.

1. list     a deterministic synthetic screening list of company (and some person) names in
            the styles of the countries the controlled trade passes through (Chinese pinyin
            brands, Russian compounds, Persian, Turkish, Arabic, Spanish, Thai, Malay,
            Vietnamese), with legal forms and aliases (acronyms, short brands, English forms)
2. queries  variants of listed names (legal form changed or dropped, typo, transliteration,
            reordered, abbreviated, truncated at 35 characters, look-alike letters, alias)
            and unrelated names drawn from the same word lists (so they share words, and a
            few are one letter from a listed name: near misses an analyst would want to see)
3. index    `NameMatcher.match` for every query: names per second, p50/p99 latency, how many
            names the index retrieved and fully scored
4. brute    `NameMatcher.brute_force_match` (same scoring, every name) on the first queries
            only, since it takes about half a second a name; then how often the index raises
            the alerts brute force raises

Both are timed at DEFAULT_THRESHOLD (how screening calls it); the index also with threshold
0.0, the top 5 whatever their score, which costs more.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from screener.reference import names
from screener.reference.matching import DEFAULT_THRESHOLD, NameMatcher
from screener.reference.screening_lists import ListEntry

# --------------------------------------------------------------------------- word lists

PINYIN = (
    "an ao bai bao bei ben bo cai chang chen cheng chuang da dan de di ding dong du fang fei "
    "feng fu gang gao ge guang gui guo hai han hang hao he heng hong hua huai huang hui jia "
    "jian jiang jie jin jing jiu ju kai kang ke kun lan lang lei li lian liang lin ling long "
    "lu lun mei meng ming nan neng ning ou peng ping qi qian qiang qing rong rui run sen shan "
    "shang sheng shi shun si song tai tian tong wan wang wei wen xiang xin xing xu ya yang yao "
    "ye yi ying yong yu yuan yue zhan zhao zhen zheng zhi zhong zhou zhu"
).split()
CN_CITIES = (
    "Shenzhen Shanghai Beijing Guangzhou Hangzhou Tianjin Ningbo Suzhou Xiamen Dongguan "
    "Foshan Wuxi Changzhou Qingdao Dalian Chengdu Wuhan Xian Baotou Ganzhou Nanchang Hefei "
    "Jinan Zhuhai Zhongshan Shenyang Changsha Fuzhou Kunming Nanjing"
).split()
CN_ACTIVITY = (
    "Technology|Electronics|Trading|Industrial|New Material|Magnetics|Precision Machinery|"
    "Semiconductor|Optoelectronics|Import and Export|Logistics|Chemical|Rare Earth|"
    "Metal Products|Communication Equipment|Information Technology|Microelectronics|"
    "Intelligent Technology|Energy Technology|Supply Chain Management"
).split("|")
CN_FORMS = ("Co., Ltd.", "Co., Ltd.", "Company Limited", "Co Ltd", "Group Co., Ltd.", "Limited")
RU_ROOTS = (
    "Tekh Prom Energo Stroy Avia Radio Elektro Neft Gaz Metall Sib Ural Volga Arktik Balt "
    "Sever Yug Kron Mikro Opti Spets Nauch Trans Region Invest Impuls Vektor Signal Kvant "
    "Almaz Granit Kristall Start Avangard Orion Zenit Tsentr Promstroy Teplo Vodo"
).split()
RU_SUFFIXES = (
    "prom servis snab tekh komplekt invest resurs treyd montazh pribor sistemy ekspert "
    "logistik elektronika proekt import eksport kontrakt komponent"
).split()
RU_FORMS_BEFORE = ("OOO", "AO", "PAO", "ZAO", "OOO", "Obshchestvo s Ogranichennoy Otvetstvennostyu")
RU_FORMS_AFTER = ("LLC", "JSC", "PJSC", "Limited Liability Company")
FA_WORDS = (
    "Pars Kish Sepahan Arian Behsaz Farayand Tavan Sanat Pishgam Negin Sahand Alborz Zagros "
    "Kavir Damavand Tadbir Andish Mobin Rahbar Bonyan Ertebat Faraz Hamgam Kaveh Khazar "
    "Mehr Nasr Omid Parto Rasa Sadra Shafagh Tarh Vista Yekta"
).split()
FA_ACTIVITY = (
    "Industrial Group",
    "Engineering Company",
    "Trading Company",
    "Electronics Company",
    "Petrochemical Company",
    "Machinery Industries",
    "Commercial Company",
)
TR_WORDS = (
    "Anadolu Ege Marmara Toros Kartal Yildiz Akdeniz Bosphorus Kuzey Guney Ozkan Demir Celik "
    "Atlas Doruk Ergin Kaya Tekin Umut Yilmaz Aydin Sahin"
).split()
TR_ACTIVITY = (
    "Dis Ticaret",
    "Makina Sanayi",
    "Elektronik",
    "Savunma Sanayi",
    "Kimya",
    "Metal Sanayi",
    "Lojistik",
)
TR_FORMS = ("A.S.", "Sanayi ve Ticaret A.S.", "Ltd. Sti.", "Anonim Sirketi")
AR_WORDS = (
    "Al Noor|Al Safa|Al Fajr|Gulf|Emirates|Desert|Falcon|Pearl|Oasis|Zenith|Crescent|Najm|"
    "Al Barakah|Rawabi|Al Hilal|Al Manar|Sahara|Jebel|Al Waha|Marina|Dana|Al Reem"
).split("|")
AR_ACTIVITY = (
    "General Trading",
    "Electronics Trading",
    "Shipping",
    "Logistics",
    "Industries",
    "Technical Services",
    "Marine Services",
)
AR_FORMS = ("LLC", "FZE", "FZCO", "L.L.C.", "FZ-LLC")
ES_WORDS = (
    "Azteca Pacifico Bajio Aguila Sol Norte Sierra Monterrey Jalisco Sonora Baja Maya Olmeca "
    "Condor Rio Bravo Cumbre Laguna Puerto Valle"
).split()
ES_ACTIVITY = (
    "Importaciones",
    "Comercializadora",
    "Distribuidora",
    "Metales",
    "Electronica",
    "Logistica",
    "Industrial",
    "Servicios",
)
ES_FORMS = ("S.A. de C.V.", "S. de R.L. de C.V.", "S.A.", "SAPI de C.V.")
TH_WORDS = (
    "Siam Thai Chao Phraya Sukhumvit Rattana Charoen Pattana Kanok Srisawat Lanna Mekong "
    "Saengthong Chaiyo Boonma Wattana Sombat Krung"
).split()
SEA_WORDS = (
    "Kuala Penang Johor Selangor Borneo Melaka Perak Sabah Saigon Hanoi Mekong Viet Dong Nam "
    "Phuong Hoang Minh Long Sinar Jaya Mega Prima Bintang Harapan"
).split()
SEA_ACTIVITY = (
    "Technology",
    "Trading",
    "Electronics",
    "Industries",
    "Engineering",
    "Resources",
    "Logistics",
    "Components",
    "Supplies",
    "Metals",
)
EN_WORDS = (
    "Starlight Golden Pacific Orient Everbright Silverline Bluewave Greatwall Sunrise Apex "
    "Summit Pioneer Unity Harmony Fortune Prosperity Dragon Phoenix Lotus Jade Crown Victory "
    "Horizon Meridian Liberty Eagle Titan Nova Vertex Crystal"
).split()
RU_GIVEN = (
    "Dmitriy Sergey Aleksandr Andrey Vladimir Igor Yuriy Mikhail Nikolay Oleg Pavel "
    "Viktor Gennadiy Arkadiy Yevgeniy Konstantin"
).split()
RU_SURNAMES = (
    "Volkov Ivanov Petrov Sokolov Kuznetsov Popov Lebedev Kozlov Novikov Morozov "
    "Zakharov Orlov Belov Timofeyev Kovalchuk Shevchenko Makarov Gusev"
).split()
FA_GIVEN = "Ali Hossein Reza Mohammad Mehdi Hamid Saeed Majid Javad Abbas".split()
FA_SURNAMES = "Rahimi Ahmadi Karimi Hosseini Moradi Jafari Sadeghi Rezaei Mohammadi Bagheri".split()

COMMON_UNRELATED = (
    "Samsung Electronics Co., Ltd.|Toyota Tsusho Corporation|Maersk Line A/S|Siemens AG|"
    "Kuehne + Nagel Ltd|DHL Global Forwarding (Thailand) Limited|Hon Hai Precision Industry|"
    "Tata Steel Limited|Lenovo Group Limited|BYD Company Limited|Thai Union Group PCL|"
    "Grupo Bimbo S.A.B. de C.V.|Petronas Chemicals Group Berhad|Emaar Properties PJSC|"
    "Koc Holding A.S.|Vietnam Dairy Products JSC|Bosch Rexroth AG|Nippon Steel Corporation|"
    "Evergreen Marine Corp|Hyundai Glovis Co., Ltd."
).split("|")

# --------------------------------------------------------------------------- the list

# Syllables for made-up brand words, so that, as on real lists, most names hold a word few
# other names share ("Huaxin", "Sahandar", "Boonsiri"), next to common words and places.
SYLLABLES = {
    "ru": (
        "tekh prom energo stroy avia radio elektro sib ural volga arkt balt sever kron "
        "mikro opti spets trans region vektor kvant almaz granit start orion zenit kom "
        "ros nov mash snab les ugol"
    ).split(),
    "fa": (
        "ba da far ja kav man na par ra sa sham ta va za mehr noor pey dar kar bon yad "
        "rah gol han zar tab san ro shad del"
    ).split(),
    "tr": "ak ay bar can dem er gul kay kar mert oz sah tek tur yil dor ka ol su ten yol".split(),
    "ar": "ra sha ma na ha ja ba da sa fa qa ka za wa mi ri li di hi si bi ni".split(),
    "es": "al ba ca cor del es fer gar her lo mar mon na or pe ro san ta val vi".split(),
    "th": "sa wat chai som boon siri kit pong nop ra ta pa kan thong sak suk chan wan".split(),
    "sea": "sin ar ja ya ma ha ra pe tra nu san ta bin hoa minh long phat thanh".split(),
}
ENDINGS = {
    "ru": (
        "",
        "",
        "prom",
        "servis",
        "snab",
        "tekh",
        "komplekt",
        "invest",
        "resurs",
        "treyd",
        "montazh",
        "pribor",
        "ekspert",
        "logistik",
        "elektronika",
        "proekt",
    ),
    "fa": ("", "an", "eh", "i", "ar"),
    "tr": ("", "an", "er", "kan", "soy", "tas", "han"),
    "ar": ("", "r", "d", "m", "n", "l", "h"),
    "es": ("ado", "ena", "ino", "osa", "ero", "illa", "ez", "al", "an"),
    "th": ("", "", "chai", "porn", "sak"),
    "sea": ("", "", "jaya", "indo", "tech"),
}


def brand(rng: random.Random, language: str) -> str:
    syllables = SYLLABLES[language]
    word = "".join(rng.choice(syllables) for _ in range(rng.choice((2, 2, 3))))
    return (word + rng.choice(ENDINGS[language])).capitalize()


def _pinyin_brand(rng: random.Random) -> str:
    return (rng.choice(PINYIN) + rng.choice(PINYIN)).capitalize()


def company(rng: random.Random) -> tuple[str, str, list[str]]:
    """(name, country, aliases) of one synthetic company."""
    style = rng.random()
    aliases: list[str] = []
    if style < 0.35:
        core = _pinyin_brand(rng)
        activity = rng.choice(CN_ACTIVITY)
        country = "HK" if rng.random() < 0.15 else "CN"
        if country == "HK":
            name = f"{core} {activity} (HK) Limited"
        else:
            name = f"{rng.choice(CN_CITIES)} {core} {activity} {rng.choice(CN_FORMS)}"
        if rng.random() < 0.4:
            aliases.append(f"{core} {activity.split()[0]}")
    elif style < 0.55:
        core = brand(rng, "ru")
        if rng.random() < 0.3:
            core = f"{rng.choice(RU_ROOTS)}{rng.choice(RU_SUFFIXES)} {core}"
        country = rng.choice(("RU", "RU", "RU", "BY", "KZ", "AM", "KG"))
        if rng.random() < 0.5:
            name = f"{rng.choice(RU_FORMS_BEFORE)} {core}"
        else:
            name = f"{core} {rng.choice(RU_FORMS_AFTER)}"
        if rng.random() < 0.4:
            aliases.append(f"{rng.choice(RU_FORMS_BEFORE)} {core}")
    elif style < 0.65:
        name = f"{rng.choice(FA_WORDS)} {brand(rng, 'fa')} {rng.choice(FA_ACTIVITY)}"
        country = "IR"
        if rng.random() < 0.3:
            aliases.append("".join(w[0] for w in name.split()).upper())
    elif style < 0.72:
        name = f"{brand(rng, 'tr')} {rng.choice(TR_WORDS)} {rng.choice(TR_ACTIVITY)} "
        name += rng.choice(TR_FORMS)
        country = "TR"
    elif style < 0.80:
        name = f"Al {brand(rng, 'ar')} {rng.choice(EN_WORDS)} {rng.choice(AR_ACTIVITY)} "
        if rng.random() < 0.5:
            name = f"{rng.choice(AR_WORDS)} {brand(rng, 'ar')} {rng.choice(AR_ACTIVITY)} "
        name += rng.choice(AR_FORMS)
        country = "AE"
    elif style < 0.86:
        name = f"{rng.choice(ES_ACTIVITY)} {brand(rng, 'es')} {rng.choice(ES_WORDS)} "
        name += rng.choice(ES_FORMS)
        country = "MX"
    elif style < 0.91:
        name = f"{rng.choice(TH_WORDS)} {brand(rng, 'th')} {rng.choice(SEA_ACTIVITY)} Co., Ltd."
        country = "TH"
    elif style < 0.96:
        words = f"{brand(rng, 'sea')} {rng.choice(SEA_WORDS)} {rng.choice(SEA_ACTIVITY)}"
        country, form = rng.choice(
            (("MY", "Sdn. Bhd."), ("SG", "Pte. Ltd."), ("VN", "Joint Stock Company"))
        )
        name = f"{words} {form}"
    else:
        name = f"{rng.choice(EN_WORDS)} {rng.choice(EN_WORDS)} {rng.choice(SEA_ACTIVITY)} Limited"
        country = rng.choice(("HK", "SG", "AE"))
    if rng.random() < 0.15:
        aliases.append("".join(w[0] for w in name.split() if w[0].isupper())[:5])
    return name, country, aliases


def person(rng: random.Random) -> tuple[str, str, list[str]]:
    if rng.random() < 0.6:
        given = rng.choice(RU_GIVEN)
        surname = brand(rng, "ru")[:-1] + rng.choice(("ov", "ev", "in", "enko", "sky", "ovich"))
        patronymic = rng.choice(RU_GIVEN) + "ovich"
        return f"{surname.upper()}, {given} {patronymic}", "RU", [f"{given} {surname}"]
    given, surname = rng.choice(FA_GIVEN), rng.choice(FA_SURNAMES) + brand(rng, "fa").lower()
    return f"{surname.upper()}, {given}", "IR", []


def synthetic_list(size: int, seed: int) -> list[ListEntry]:
    rng = random.Random(seed)
    entries: list[ListEntry] = []
    seen: set[str] = set()
    while len(entries) < size:
        name, country, aliases = person(rng) if rng.random() < 0.08 else company(rng)
        if name in seen:
            continue
        seen.add(name)
        entries.append(
            ListEntry(
                entry_id=f"syn-{len(entries):06d}",
                name=name,
                source="synthetic",
                entity_type="Entity",
                aliases=tuple(a for a in aliases if a and a != name),
                addresses=(f"{country}",),
                countries=frozenset({country}),
                list_id="bench",
            )
        )
    return entries


# --------------------------------------------------------------------------- the queries

TRANSLITERATIONS = (
    ("kh", "h"),
    ("y", "i"),
    ("ts", "c"),
    ("v", "w"),
    ("ks", "x"),
    ("zh", "j"),
    ("ou", "u"),
    ("i", "y"),
)
ABBREVIATIONS = (
    ("Technology", "Tech"),
    ("International", "Intl"),
    ("Trading", "Trdg"),
    ("Industrial", "Ind."),
    ("Electronics", "Elec."),
    ("Company", "Co"),
    ("Limited", "Ltd"),
    ("Engineering", "Engg"),
    ("Information", "Info"),
)
FORMS = ("Co., Ltd.", "Ltd", "LLC", "JSC", "Limited", "S.A.", "GmbH", "FZE", "")
HOMOGLYPHS = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440"}


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]


def variant(entry: ListEntry, rng: random.Random) -> tuple[str, str]:
    """(query, kind) derived from a listed name."""
    name = rng.choice((entry.name, *entry.aliases)) if entry.aliases else entry.name
    words = name.split()
    kind = rng.choice(
        (
            "suffix",
            "typo",
            "transliteration",
            "reorder",
            "abbreviation",
            "truncation",
            "homoglyph",
            "alias",
            "case",
        )
    )
    if kind == "suffix":
        stripped = [
            w
            for w in words
            if w.strip(".,()")
            not in {"Co", "Ltd", "LLC", "JSC", "OOO", "AO", "Limited", "Company", "FZE"}
        ]
        return " ".join([*stripped, rng.choice(FORMS)]).strip(), kind
    if kind == "typo":
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        words[longest] = _typo(words[longest], rng)
        return " ".join(words), kind
    if kind == "transliteration":
        text = name
        for old, new in rng.sample(TRANSLITERATIONS, 3):
            text = text.replace(old, new)
        return text, kind
    if kind == "reorder" and len(words) > 1:
        rng.shuffle(words)
        return " ".join(words), kind
    if kind == "abbreviation":
        text = name
        for old, new in ABBREVIATIONS:
            text = text.replace(old, new)
        return text, kind
    if kind == "truncation":
        return name.upper()[:35], kind
    if kind == "homoglyph":
        return "".join(HOMOGLYPHS.get(c, c) if rng.random() < 0.3 else c for c in name), kind
    if kind == "alias" and entry.aliases:
        return rng.choice(entry.aliases), kind
    return name.upper(), "case"


def queries(entries: list[ListEntry], count: int, seed: int) -> list[tuple[str, str, str | None]]:
    """(query, kind, entry id it came from or None) for variants and unrelated names."""
    rng = random.Random(seed + 1)
    # An "unrelated" name must not be a listed one under another legal form or word order.
    listed = {names.sorted_key(written) for e in entries for written in (e.name, *e.aliases)}
    out: list[tuple[str, str, str | None]] = []
    while len(out) < count:
        if rng.random() < 0.6:
            entry = rng.choice(entries)
            query, kind = variant(entry, rng)
            out.append((query, kind, entry.entry_id))
        elif rng.random() < 0.1:
            out.append((rng.choice(COMMON_UNRELATED), "unrelated", None))
        else:
            name = company(rng)[0]  # same word lists, not on the list: shares words with it
            if names.sorted_key(name) not in listed:
                out.append((name, "unrelated", None))
    return out


# --------------------------------------------------------------------------- measuring


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def timed(screen, qs, threshold: float) -> tuple[list[float], list[list]]:
    # Normalised names and results are cached; a stream repeats party names, but measure
    # them cold.
    names.clear_caches()
    screen.__self__.forget_matches()
    latencies, results = [], []
    for query, _, _ in qs:
        start = time.perf_counter()
        hits = screen(query, threshold=threshold)
        latencies.append(time.perf_counter() - start)
        results.append(hits)
    return latencies, results


def report(label: str, latencies: list[float]) -> None:
    total = sum(latencies)
    p50, p99 = percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3
    print(
        f"  {label:<34} {len(latencies):>6} names  {len(latencies) / total:>9,.0f} names/s  "
        f"p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  mean {statistics.fmean(latencies) * 1e3:7.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=5_000)
    parser.add_argument("--brute-queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    threshold = DEFAULT_THRESHOLD

    entries = synthetic_list(args.entries, args.seed)
    qs = queries(entries, args.queries, args.seed)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    matcher = NameMatcher.build(entries)
    build = time.perf_counter() - start
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"list: {len(entries):,} entries, {matcher.name_count:,} names with aliases; "
        f"index built in {build:.1f} s, max RSS +{(rss_after - rss_before) / 1024:.0f} MB"
    )
    kinds: dict[str, int] = {}
    for _, kind, _ in qs:
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"queries: {len(qs):,} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")

    print(
        f"\nindex (NameMatcher.match), threshold {threshold}, name caches cleared before each run:"
    )
    latencies, results = timed(matcher.match, qs, threshold)
    report(f"match(threshold={threshold})", latencies)
    latencies_top5, _ = timed(matcher.match, qs, 0.0)
    report("match(threshold=0.0, top 5)", latencies_top5)
    counts = [matcher.candidate_counts(q, threshold=threshold) for q, _, _ in qs]
    for label, values in (
        ("retrieved", [c[0] for c in counts]),
        ("scored", [c[1] for c in counts]),
    ):
        spread = "  ".join(f"p{p} {percentile(values, p):>5}" for p in (50, 90, 99))
        print(
            f"  candidates {label:<9}: {spread}  max {max(values):>5}  "
            f"mean {statistics.fmean(values):7.1f}"
        )
    by_kind: dict[str, list[int]] = {}
    for (_, kind, eid), r in zip(qs, results, strict=True):
        if eid:
            by_kind.setdefault(kind, []).append(any(h.entry.entry_id == eid for h in r))
    print(
        "  source entry alerted, by variant: "
        + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(by_kind.items()))
    )
    variants = [(r, eid) for (_, kind, eid), r in zip(qs, results, strict=True) if eid]
    unrelated = [r for (_, kind, eid), r in zip(qs, results, strict=True) if not eid]
    found = sum(any(h.entry.entry_id == eid for h in r) for r, eid in variants)
    print(
        f"  variants whose source entry is alerted: {found}/{len(variants)} "
        f"({found / len(variants):.1%}); unrelated names with any alert: "
        f"{sum(bool(r) for r in unrelated)}/{len(unrelated)} (drawn from the same word lists, "
        f"some are one letter from a listed name)"
    )

    sample = qs[: args.brute_queries]
    print(
        f"\nbrute force (NameMatcher.brute_force_match), threshold {threshold}, "
        f"on the first {len(sample)} queries only (it scores all {matcher.name_count:,} names):"
    )
    brute_latencies, brute_results = timed(matcher.brute_force_match, sample, threshold)
    report(f"brute_force_match(threshold={threshold})", brute_latencies)
    index_sample = results[: len(sample)]
    same_top = sum(
        (a[0].entry.entry_id if a else None) == (b[0].entry.entry_id if b else None)
        for a, b in zip(index_sample, brute_results, strict=True)
    )
    brute_alerts = {(i, h.entry.entry_id) for i, r in enumerate(brute_results) for h in r}
    index_alerts = {(i, h.entry.entry_id) for i, r in enumerate(index_sample) for h in r}
    source = {(i, eid) for i, (_, _, eid) in enumerate(sample) if eid}
    print(
        f"  same top alert as brute force: {same_top}/{len(sample)}; index alerts brute force "
        f"does not raise: {len(index_alerts - brute_alerts)}"
    )
    for label, alerts in (
        ("on the entry a variant came from", brute_alerts & source),
        ("on other entries", brute_alerts - source),
    ):
        print(
            f"  brute-force alerts {label:<33}: {len(alerts):>4}, "
            f"also raised by the index: {len(alerts & index_alerts):>4}"
        )
    speedup = statistics.fmean(brute_latencies) / statistics.fmean(latencies)
    print(f"  index is {speedup:,.0f}x faster per name on average")


if __name__ == "__main__":
    main()
