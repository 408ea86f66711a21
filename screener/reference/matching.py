"""Fuzzy screening of party names against list entries, with the reasons for every score.

Scoring follows the field (moov-io/watchman, OFAC's Sanctions List Search, OpenSanctions
nomenklatura logic-v2):

1. names are normalised by `screener.reference.names` (look-alike letters, transliteration,
   company-type words in many languages removed, abbreviations and translated descriptive
   words made one: `canonical_tokens`);
2. token score: every query token is compared with every list token (`token_similarity`:
   Jaro-Winkler stretched so that only near-misses stay high; the same phonetic key,
   an abbreviation or a cut last word count as near-equal; short tokens must be equal;
   different first letters and lengths are damped); words written apart on one side and
   together on the other ("hua wei" / "huawei") are paired too; the best pairs are taken
   greedily, each token used once; pair scores are averaged weighted by token length, with
   descriptive words ("trading", "shenzhen", and words many entries of the list share)
   weighing half; unmatched query tokens count fully against the score, unmatched list
   tokens partly;
3. whole-name score: Jaro-Winkler of the two names written without spaces, as a floor (the
   name score is the better of the two) when it is high enough to be trusted and no word of
   one name was replaced by a different word in the other;
4. a match made only of descriptive words is damped; every written form of an entry (name
   and aliases) is scored and the best one wins;
5. adjustments (nomenklatura-style qualifiers): the party's country agreeing with the
   entry's countries raises the score a little, disagreeing lowers it; an address close to
   one of the entry's addresses raises it. The final score is clamped to [0, 1].

`NameMatcher.match` goes through a candidate index: each query word finds similar list
words (same phonetic key, one letter more or less, same start), their names are ranked by
an upper bound on the score they can reach, and only those that can reach the threshold (or
the current top `limit`) are scored. `NameMatcher.brute_force_match` scores every name the
same way, for comparison. `evaluate` measures precision and recall on the labelled
evaluation set in screener/data/evaluation/.
"""

from __future__ import annotations

import bisect
import csv
import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cachetools import LRUCache
from rapidfuzz.distance import JaroWinkler

from screener.reference import names
from screener.reference.screening_lists import ListEntry, load_csl_csv

# --------------------------------------------------------------------------- constants

# Alert at or above this final score: of the thresholds measured on the evaluation set
# (0.80, 0.85, 0.90; see `evaluate`), the one with the best precision while recall >= 0.9.
DEFAULT_THRESHOLD = 0.90

# Screened names a matcher remembers: the same parties come back declaration after declaration
# (repeat business), and a name costs 0.1 to 1 ms to screen.
MATCH_MEMO_SIZE = 20_000

# Token similarity.
JW_PREFIX_WEIGHT = 0.1  # Winkler's standard prefix boost (watchman uses the same, prefix 4)
JW_STRETCH = 2.0  # JW's range is compressed (unrelated words score ~0.6): 1 - 2 * (1 - JW) keeps
# a typo (JW >= 0.95) high and drops a different word of the same shape (JW <= 0.87)
TRANSLITERATION_SIMILARITY = 0.95  # same phonetic key ("tekhnologiy"/"tehnologii"): near-equal
ABBREVIATION_SIMILARITY = 0.9  # "trdng" ~ "trading": the first letter and consonants in order
TRUNCATION_SIMILARITY = 0.9  # "technolo" ~ "technology": a fixed-width field cut the last word
SHORT_TOKEN_LEN = 3  # tokens this short ("zte", "ktc") only match exactly
FIRST_LETTER_PENALTY = 0.9  # Jaro-Winkler forgives different first letters too easily
LENGTH_RATIO_CUTOFF = 0.9  # token lengths closer than this are not penalised...
LENGTH_RATIO_WEIGHT = 0.3  # ...else the score shrinks by 30 % of the length gap (watchman)
PAIR_MIN_SIMILARITY = 0.75  # pairs scoring less are left unmatched: no credit, no partner

# Name (token-set) score.
GENERIC_TOKEN_WEIGHT = 0.5  # "trading", "technology", "shenzhen" weigh half of a name word
UNMATCHED_LIST_WEIGHT = 0.3  # list words missing from the query count 30 % against the score
GENERIC_ONLY_FACTOR = 0.75  # only descriptive words in common: "X Trading" vs "Y Trading"
WHOLE_NAME_MIN_LEN = 8  # whole-name Jaro-Winkler only for names this long without spaces...
WHOLE_NAME_MIN_SIMILARITY = 0.93  # ...and only trusted this high: below it, JW of two long
# names that share "...technology" or a city says little (it made most false alerts)
SUBSTITUTED_WORD_MIN_LEN = 4  # unpaired words this long on both sides: a word was replaced

# Adjustments (nomenklatura logic-v2 qualifiers, scaled to how diversion works: front
# companies sit in third countries, so a country mismatch is weaker evidence than in KYC).
COUNTRY_AGREES_BONUS = 0.03  # the party's country is one of the entry's countries
COUNTRY_DIFFERS_PENALTY = 0.08  # the entry has countries and the party's is not among them
ADDRESS_MATCH_MIN = 0.6  # address token overlap (Dice) from which addresses count as matching
ADDRESS_MATCH_BONUS = 0.1  # times the overlap: an address shared with a listed party

# Candidate index.
DELETION_MIN_LEN = 4  # phonetic keys this long are also indexed with each letter deleted
PREFIX_MIN_LEN = 9  # keys this long are also indexed by their first PREFIX_LEN letters, so
PREFIX_LEN = 7  # that endings ("revolution"/"revolutionary", "-ikov"/"-ika") are found
WORD_PREFIX_MIN_LEN = 5  # a word this long also finds the words it starts ("northwest[ern]")
WORD_PREFIX_MIN_SHARE = 0.6  # ...when it is this share of them at least (shorter ones score
# below PAIR_MIN_SIMILARITY), except a cut last word ("interna[tional]")
PREFIX_MATCHES_MAX = 30  # at most this many words found by one prefix
RETRIEVAL_MIN_SIMILARITY = PAIR_MIN_SIMILARITY  # a list token this similar to a query token
# retrieves its names: every pair the scoring would use is also a way in
POSTINGS_BUDGET = 3000  # at most this many (token, name) postings read per query, rarest first
COMMON_WORD_MIN_ENTRIES = 100  # a word on this many entries of the list counts as descriptive
MAX_SCORED = 50  # at most this many names fully scored per query, best bound first...
MAX_EXAMINED = 200  # ...and this many bounded by their own words (the top `limit` of weak
# names, threshold 0.0, would otherwise walk through hundreds)

EVALUATION_DIR = Path(__file__).resolve().parents[1] / "data" / "evaluation"
EVALUATION_SET = EVALUATION_DIR / "name_matching.csv"
EVALUATION_LIST = EVALUATION_DIR / "evaluation-list.csv"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class NameMatch:
    entry: ListEntry
    query: str
    matched_name: str  # the entry's name or alias that scored best
    is_alias: bool
    score: float  # final score in [0, 1]: name score plus adjustments
    name_score: float
    token_pairs: tuple[tuple[str, str, float], ...]  # (query token, list token, similarity)
    unmatched: tuple[str, ...]  # list tokens that no query token paired with
    adjustments: tuple[tuple[str, float], ...]  # (reason, delta)
    method: str  # "tokens" or "whole name" (which of the two gave the name score)

    def explain(self) -> str:
        """One line an analyst can read: what matched what, and what moved the score."""
        alias = " (alias)" if self.is_alias else ""
        head = f"{self.query!r} ~ {self.matched_name!r}{alias} {self.score:.2f}"
        pairs = ", ".join(
            f"{q}={t} {s:.2f}" if q == t else f"{q}~{t} {s:.2f}" for q, t, s in self.token_pairs
        )
        parts = [pairs or "no token pairs"]
        if self.method == "whole name":
            parts.append(f"whole name {self.name_score:.2f}")
        if self.unmatched:
            parts.append("not in query: " + " ".join(self.unmatched))
        parts.extend(f"{reason} {delta:+.2f}" for reason, delta in self.adjustments)
        return f"{head}: " + "; ".join(parts)


# --------------------------------------------------------------------------- similarity


def token_similarity(query: str, listed: str, last: bool = False) -> float:
    """Similarity of two canonical tokens in [0, 1]; `last`: the query's final token."""
    return _token_similarity(
        query, names.phonetic_key(query), listed, names.phonetic_key(listed), last
    )


_VOWELS = frozenset("aeiouy")


def _is_abbreviation(q: str, t: str) -> bool:
    """An abbreviation such as "trdng" for "trading": the same first letter, then consonants
    only, all found in `t` in order."""
    if len(q) < 4 or len(t) <= len(q) or q[0] != t[0] or _VOWELS.intersection(q[1:]):
        return False
    rest = iter(t[1:])
    return all(c in rest for c in q[1:])


def _token_similarity(q: str, qkey: str, t: str, tkey: str, last: bool = False) -> float:
    if q == t:
        return 1.0
    shorter, longer = sorted((len(q), len(t)))
    if shorter <= SHORT_TOKEN_LEN:
        return 0.0
    if qkey == tkey:
        return TRANSLITERATION_SIMILARITY
    if last and len(q) >= 4 and t.startswith(q):
        return TRUNCATION_SIMILARITY
    if q[0] == t[0] and shorter == len(q) and _is_abbreviation(q, t):
        return ABBREVIATION_SIMILARITY
    jw = JaroWinkler.normalized_similarity(q, t, prefix_weight=JW_PREFIX_WEIGHT)
    score = max(0.0, 1.0 - JW_STRETCH * (1.0 - jw))
    if q[0] != t[0] and qkey[0] != tkey[0]:
        score *= FIRST_LETTER_PENALTY
    ratio = shorter / longer
    if ratio < LENGTH_RATIO_CUTOFF:
        score *= 1.0 - (1.0 - ratio) * LENGTH_RATIO_WEIGHT
    return score


def _length_factor(a: str, b: str) -> float:
    shorter, longer = sorted((len(a), len(b)))
    ratio = shorter / longer if longer else 1.0
    return 1.0 if ratio >= LENGTH_RATIO_CUTOFF else 1.0 - (1.0 - ratio) * LENGTH_RATIO_WEIGHT


def _is_generic(token: str, generic_words: frozenset[str]) -> bool:
    """Descriptive: a common word of companies or of this list, or a patronymic."""
    return token in generic_words or names.is_patronymic(token)


def _weight(token: str, generic: bool) -> float:
    return len(token) * (GENERIC_TOKEN_WEIGHT if generic else 1.0)


def address_similarity(query: str, listed: str) -> float:
    """Dice overlap of two addresses' tokens (house numbers and postcodes count as words)."""
    a = set(names.tokens(query))
    b = set(names.tokens(listed))
    # CSL addresses end in the ISO country code; it is compared separately, as the country.
    a = {t for t in a if len(t) > 2 or t.isdigit()}
    b = {t for t in b if len(t) > 2 or t.isdigit()}
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


# --------------------------------------------------------------------------- internals


class _Name:
    """One written form of an entry (its name or an alias), prepared for scoring."""

    __slots__ = (
        "compact",
        "entry_index",
        "generic",
        "generic_weight",
        "has_distinctive",
        "is_alias",
        "joined",
        "runs",
        "tids",
        "tokens",
        "total_weight",
        "weights",
        "written",
    )

    def __init__(
        self, entry_index: int, written: str, is_alias: bool, tokens, tids, generic
    ) -> None:
        self.entry_index = entry_index
        self.written = written
        self.is_alias = is_alias
        self.tokens = tokens
        self.tids = tids
        self.generic = generic
        self.weights = tuple(_weight(t, g) for t, g in zip(tokens, generic, strict=True))
        self.total_weight = sum(self.weights)
        self.generic_weight = sum(w for w, g in zip(self.weights, generic, strict=True) if g)
        self.has_distinctive = not all(generic)
        self.compact = "".join(tokens)
        self.runs = _runs(tokens)
        self.joined: tuple[tuple[int, int], ...] = ()  # (token id of words i, i+1 joined, i)


class _Query:
    __slots__ = (
        "compact",
        "generic",
        "keys",
        "name",
        "runs",
        "runs_by_letter",
        "sims",
        "tokens",
        "tokens_by_letter",
        "total_weight",
        "visible",
        "weights",
    )

    def __init__(self, name: str, generic_words: frozenset[str]) -> None:
        self.name = name
        self.tokens = names.canonical_tokens(name)
        self.keys = tuple(names.phonetic_key(t) for t in self.tokens)
        self.generic = tuple(_is_generic(t, generic_words) for t in self.tokens)
        self.weights = tuple(_weight(t, g) for t, g in zip(self.tokens, self.generic, strict=True))
        self.total_weight = sum(self.weights)
        self.compact = "".join(self.tokens)
        self.runs = _runs(self.tokens)
        self.sims: list[dict[int, float]] = [{} for _ in self.tokens]  # per query token
        # By first letter, to find words written apart on one side and together on the other.
        self.runs_by_letter: dict[str, list] = defaultdict(list)
        for run in self.runs:
            self.runs_by_letter[run[1][0]].append(run)
        self.tokens_by_letter: dict[str, list[int]] = defaultdict(list)
        for qi, t in enumerate(self.tokens):
            self.tokens_by_letter[t[0]].append(qi)
        # List token id -> (query token indexes, similarity) of the pairs the index can see.
        self.visible: dict[int, list[tuple[tuple[int, ...], float]]] = defaultdict(list)


def _runs(tokens: tuple[str, ...]) -> tuple[tuple[tuple[int, ...], str, str], ...]:
    """Two or three adjacent tokens written together: ((0, 1), "huawei", its phonetic key)."""
    runs = []
    for span in (2, 3):
        for i in range(len(tokens) - span + 1):
            joined = "".join(tokens[i : i + span])
            # The key of the words, joined: "syria air" -> "siriaair", one letter from
            # "syrianair" (the key of the joined word would fold the "aa").
            key = "".join(names.phonetic_key(t) for t in tokens[i : i + span])
            runs.append((tuple(range(i, i + span)), joined, key))
    return tuple(runs)


def _deletions(key: str) -> set[str]:
    if len(key) < DELETION_MIN_LEN:
        return set()
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


# --------------------------------------------------------------------------- matcher


class NameMatcher:
    """Fuzzy name screening over list entries; build once per list version."""

    def __init__(self) -> None:
        self.entries: list[ListEntry] = []
        self._names: list[_Name] = []
        self._vocab: dict[str, int] = {}
        self._vocab_tokens: list[str] = []
        self._vocab_keys: list[str] = []
        self._vocab_weights: list[float] = []  # most a token weighs in any name holding it
        self._postings: list[list[int]] = []  # token id -> ids of names holding it
        self._by_key: dict[str, list[int]] = defaultdict(list)  # phonetic key -> token ids
        self._by_deletion: dict[str, list[int]] = defaultdict(list)  # key minus a letter
        self._by_prefix: dict[str, list[int]] = defaultdict(list)  # start of a long key
        self._sorted_vocab: list[str] = []  # list words in order, for prefix look-ups
        self._exact: dict[str, list[int]] = defaultdict(list)  # sorted tokens -> name ids
        self._descriptive: set[int] = set()  # token ids whose postings skip some names
        self._name_weight: list[float] = []  # by name id: total weight
        self._name_generic_weight: list[float] = []  # weight of descriptive words, -1: no other
        # Descriptive words: the built-in table, and words that many names on this list share.
        self.generic_words: frozenset[str] = names.GENERIC_WORDS
        self._memo: LRUCache[tuple, tuple[NameMatch, ...]] = LRUCache(MATCH_MEMO_SIZE)

    # -- building

    @classmethod
    def build(cls, entries: Iterable[ListEntry]) -> NameMatcher:
        matcher = cls()
        written_forms = []
        entries_holding: Counter[str] = Counter()
        for entry in entries:
            index = len(matcher.entries)
            matcher.entries.append(entry)
            seen: set[tuple[str, ...]] = set()
            for number, written in enumerate((entry.name, *entry.aliases)):
                tokens = names.canonical_tokens(written)
                if tokens and tokens not in seen:
                    seen.add(tokens)
                    written_forms.append((index, written, number > 0, tokens))
            entries_holding.update({t for tokens in seen for t in tokens})
        common = {t for t, n in entries_holding.items() if n >= COMMON_WORD_MIN_ENTRIES}
        matcher.generic_words = names.GENERIC_WORDS | common
        for form in written_forms:
            matcher._add_name(*form)
        matcher._sorted_vocab = sorted(matcher._vocab)
        for postings in matcher._postings:
            # Shortest names first: when a very common token is cut at the budget, the names
            # kept are those it could score highest against.
            postings.sort(key=lambda n: len(matcher._names[n].tokens))
        return matcher

    def _token_id(self, token: str, deletions: bool = True) -> int:
        tid = self._vocab.get(token)
        if tid is None:
            tid = self._vocab[token] = len(self._vocab_tokens)
            key = names.phonetic_key(token)
            self._vocab_tokens.append(token)
            self._vocab_keys.append(key)
            self._vocab_weights.append(float(len(token)))
            self._postings.append([])
            self._by_key[key].append(tid)
            for deleted in _deletions(key) if deletions else ():
                self._by_deletion[deleted].append(tid)
            if deletions and len(key) >= PREFIX_MIN_LEN:
                self._by_prefix[key[:PREFIX_LEN]].append(tid)
        return tid

    def _add_name(self, entry_index: int, written: str, is_alias: bool, tokens) -> None:
        nid = len(self._names)
        tids = tuple(self._token_id(t) for t in tokens)
        generic = tuple(_is_generic(t, self.generic_words) for t in tokens)
        name = _Name(entry_index, written, is_alias, tokens, tids, generic)
        self._names.append(name)
        self._name_weight.append(name.total_weight)
        self._name_generic_weight.append(name.generic_weight if name.has_distinctive else -1.0)
        # A name that shares only descriptive words with a query is damped below any alert
        # threshold (GENERIC_ONLY_FACTOR) unless it has no other kind of word, so a
        # descriptive word ("technology", "shenzhen") leads only to such names.
        all_generic = all(generic)
        words = dict(zip(tids, generic, strict=True))
        # Adjacent tokens joined, so that "Huawei" finds "Hua Wei" and the other way round.
        joined_ids = []
        for i in range(len(tokens) - 1):
            joined = self._token_id(tokens[i] + tokens[i + 1], deletions=False)
            words[joined] = words.get(joined, True) and generic[i] and generic[i + 1]
            joined_ids.append((joined, i))
        self._names[nid].joined = tuple(joined_ids)
        for tid, is_generic in words.items():
            if all_generic or not is_generic:
                self._postings[tid].append(nid)
            else:
                self._descriptive.add(tid)
        self._exact[" ".join(sorted(tokens))].append(nid)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def name_count(self) -> int:
        """Written forms indexed (names and distinct aliases)."""
        return len(self._names)

    # -- screening

    def match(
        self,
        name: str,
        country: str | None = None,
        address: str | None = None,
        limit: int = 5,
        threshold: float = 0.0,
    ) -> list[NameMatch]:
        """Best-scoring entries for a party name, at most `limit`, scoring `threshold` or more.

        Goes through the candidate index: names that share only descriptive words with the
        query (damped to GENERIC_ONLY_FACTOR of their score) are not retrieved, nor word pairs
        two letters apart after the phonetic key; at alert thresholds the results are those
        of `brute_force_match` (tested on the evaluation set, measured by bench/). Screening
        calls should pass threshold=DEFAULT_THRESHOLD: with 0.0, the top `limit` names cost
        more to find. Results are remembered (`MATCH_MEMO_SIZE`): a matcher's list does not
        change once built."""
        key = (name, country, address, limit, threshold)
        found = self._memo.get(key)
        if found is None:
            found = tuple(self._screen(name, country, address, limit, threshold, False)[0])
            self._memo[key] = found
        return list(found)

    def forget_matches(self) -> None:
        """Forget remembered results (to time screening itself)."""
        self._memo.clear()

    def brute_force_match(
        self,
        name: str,
        country: str | None = None,
        address: str | None = None,
        limit: int = 5,
        threshold: float = 0.0,
    ) -> list[NameMatch]:
        """The same scoring as `match`, over every name of every entry (slow; for checks)."""
        return self._screen(name, country, address, limit, threshold, brute_force=True)[0]

    def candidate_counts(
        self,
        name: str,
        country: str | None = None,
        address: str | None = None,
        limit: int = 5,
        threshold: float = 0.0,
    ) -> tuple[int, int]:
        """(names the index retrieved, names fully scored) for one `match` call."""
        _, retrieved, scored = self._screen(name, country, address, limit, threshold, False)
        return retrieved, scored

    def _screen(
        self,
        name: str,
        country: str | None,
        address: str | None,
        limit: int,
        threshold: float,
        brute_force: bool,
    ) -> tuple[list[NameMatch], int, int]:
        query = _Query(name, self.generic_words)
        if not query.tokens or limit <= 0:
            return [], 0, 0
        if brute_force:
            ranked = [(1.0, nid) for nid in range(len(self._names))]
        else:
            ranked = self._ranked_candidates(query)
        # The most an entry's adjustments can add to its name score.
        bonus = COUNTRY_AGREES_BONUS if country else 0.0
        bonus += ADDRESS_MATCH_BONUS if address else 0.0
        adjustments: dict[int, tuple[tuple[tuple[str, float], ...], float]] = {}
        best: dict[int, tuple[float, float, int, tuple]] = {}  # entry -> (final, name, nid, ..)
        floor = threshold
        scored = 0
        for examined, (bound, nid) in enumerate(ranked):
            if bound + bonus < floor:
                break  # ranked by bound: no later name can reach the results
            if not brute_force:
                if scored >= MAX_SCORED or examined >= MAX_EXAMINED:
                    break
                if self._tight_bound(query, self._names[nid], floor - bonus) + bonus < floor:
                    continue
            scored += 1
            name_score, detail = self._score_name(query, self._names[nid])
            entry_index = self._names[nid].entry_index
            adjust = adjustments.get(entry_index)
            if adjust is None:
                reasons = _adjustments(self.entries[entry_index], country, address)
                adjust = adjustments[entry_index] = (reasons, sum(d for _, d in reasons))
            final = min(1.0, max(0.0, name_score + adjust[1]))
            if final < threshold:
                continue
            previous = best.get(entry_index)
            if previous is None or (final, name_score) > previous[:2]:
                best[entry_index] = (final, name_score, nid, detail)
                if len(best) >= limit and final > floor and not brute_force:
                    floor = max(threshold, heapq.nlargest(limit, (b[0] for b in best.values()))[-1])
        results = []
        for entry_index, (final, name_score, nid, detail) in best.items():
            written = self._names[nid]
            pairs, used_t, method = detail
            results.append(
                NameMatch(
                    entry=self.entries[entry_index],
                    query=name,
                    matched_name=written.written,
                    is_alias=written.is_alias,
                    score=round(final, 4),
                    name_score=round(name_score, 4),
                    token_pairs=tuple(
                        (
                            " ".join(query.tokens[i] for i in qis),
                            " ".join(written.tokens[j] for j in js),
                            round(s, 2),
                        )
                        for qis, js, s in sorted(pairs)
                    ),
                    unmatched=tuple(t for j, t in enumerate(written.tokens) if j not in used_t),
                    adjustments=adjustments[entry_index][0],
                    method=method,
                )
            )
        results.sort(key=lambda m: (-m.score, -m.name_score, m.entry.entry_id))
        return results[:limit], len(ranked), scored

    def _similar_tokens(
        self, token: str, key: str, last: bool, sims: dict[int, float], deletions: bool = True
    ) -> list[int]:
        """Ids of list tokens similar enough to `token` to retrieve the names holding them:
        the same phonetic key, one letter more or less on either side, (long keys) the same
        first PREFIX_LEN letters, or one word starting the other."""
        found = {*self._by_key.get(key, ()), *self._by_deletion.get(key, ())}
        if deletions:
            for deleted in _deletions(key):
                found.update(self._by_key.get(deleted, ()))
                found.update(self._by_deletion.get(deleted, ()))
            if len(key) >= PREFIX_MIN_LEN:
                found.update(self._by_prefix.get(key[:PREFIX_LEN], ()))
            # Words this one starts ("northwest" -> "northwestern", a cut last word "interna"
            # -> "international") and words that start this one.
            if len(token) >= (4 if last else WORD_PREFIX_MIN_LEN):
                vocab, ordered = self._vocab, self._sorted_vocab
                longest = 1000 if last else len(token) / WORD_PREFIX_MIN_SHARE
                at = bisect.bisect_right(ordered, token)
                for word in ordered[at : at + PREFIX_MATCHES_MAX]:
                    if not word.startswith(token):
                        break
                    if len(word) <= longest:
                        found.add(vocab[word])
                shortest = max(WORD_PREFIX_MIN_LEN, int(len(token) * WORD_PREFIX_MIN_SHARE))
                for end in range(shortest, len(token)):
                    tid = vocab.get(token[:end])
                    if tid is not None:
                        found.add(tid)
        similar = []
        vocab_tokens, vocab_keys = self._vocab_tokens, self._vocab_keys
        for tid in found:
            s = sims.get(tid)
            if s is None:
                s = sims[tid] = _token_similarity(
                    token, key, vocab_tokens[tid], vocab_keys[tid], last
                )
            if s >= RETRIEVAL_MIN_SIMILARITY:
                similar.append(tid)
        return similar

    def _ranked_candidates(self, query: _Query) -> list[tuple[float, int]]:
        """Names that share a similar word with the query, best first by an upper bound on
        their token score.

        Every (query word, similar list word) hit credits the names holding the list word
        with s * (wq + wt). What a query word gains from a descriptive list word, or from a
        word whose postings were cut at the budget, counts for every name, as do the name's
        own descriptive words. Pairs the index cannot see (two letters apart after the
        phonetic key, "prigoschin"/"prigozhin") are not counted: the bound, and so the index,
        is approximate; tests and the benchmark compare it with brute force."""
        weights = query.weights
        vocab_weights = self._vocab_weights
        hits: list[tuple[int, int, float]] = []  # (postings length, token id, credit)
        last = len(query.tokens) - 1
        assumed = 0.0  # credit every name gets
        for qi, (token, key) in enumerate(zip(query.tokens, query.keys, strict=True)):
            sims = query.sims[qi]
            generic_credit = weights[qi] if query.generic[qi] else 0.0
            for tid in self._similar_tokens(token, key, qi == last, sims):
                s = sims[tid]
                query.visible[tid].append(((qi,), s))
                if tid in self._descriptive:
                    generic_credit = max(generic_credit, s * weights[qi])
                hits.append((len(self._postings[tid]), tid, s * (weights[qi] + vocab_weights[tid])))
            assumed += generic_credit
        # Query words joined: "hua wei" finds "huawei" ("ural vagon zavod" "uralvagonzavod");
        # list words were indexed joined two by two, which covers the other direction.
        for run, joined, key in query.runs:
            run_sims: dict[int, float] = {}
            run_weight = sum(weights[qi] for qi in run)
            generic_credit = 0.0
            for tid in self._similar_tokens(joined, key, run[-1] == last, run_sims, False):
                s = run_sims[tid]
                query.visible[tid].append((run, s))
                if tid in self._descriptive:
                    generic_credit = max(generic_credit, s * run_weight)
                hits.append((len(self._postings[tid]), tid, s * (run_weight + vocab_weights[tid])))
            assumed += generic_credit
        hits.sort()
        covered: dict[int, float] = {}
        budget = POSTINGS_BUDGET
        cut = 0.0  # credit of hits whose postings were cut at the budget
        for size, tid, credit in hits:
            postings = self._postings[tid]
            if size > budget:  # cut at the budget: counts for every name
                postings = postings[: max(budget, 0)]
                cut += credit
            budget -= len(postings)
            for nid in postings:
                covered[nid] = covered.get(nid, 0.0) + credit
        for nid in self._exact.get(" ".join(sorted(query.tokens)), ()):
            covered[nid] = float("inf")
        total = query.total_weight
        name_weight, name_generic_weight = self._name_weight, self._name_generic_weight
        unmatched, matched = UNMATCHED_LIST_WEIGHT, 1.0 - UNMATCHED_LIST_WEIGHT
        ranked = []
        for nid, credit in covered.items():
            w = name_weight[nid]
            # Numerator at most P: its hits; when postings were cut, those hits and all its
            # words; for a name with a distinctive word (not in descriptive postings), what a
            # descriptive query word can gain and its own descriptive words (-1: none such).
            # Of P the query side is at most Wq, so the matched list weight N >= P - Wq, and
            # score <= P / (Wq + 0.3 W + 0.7 N).
            p = credit + cut + (w if cut else 0.0)
            generic_weight = name_generic_weight[nid]
            if generic_weight >= 0.0:
                p += assumed + generic_weight
            n = p - total
            if n < 0.0:
                n = 0.0
            elif n > w:
                n = w
            ranked.append((p / (total + unmatched * w + matched * n), credit, nid))
        ranked.sort(reverse=True)
        return [(min(bound, 1.0), nid) for bound, _, nid in ranked]

    def _tight_bound(self, query: _Query, name: _Name, floor: float) -> float:
        """The most `name` can score, from the pairs the index sees in it; the whole-name score
        is only computed when the token bound is below `floor`.

        With A the query weight each query token could gain (its best similarity in this
        name times its weight) and N the same for the name's tokens, the numerator of the
        token score is at most A + N and, as matched list weight M >= N, the denominator at
        least Wq + 0.3 W + 0.7 N (UNMATCHED_LIST_WEIGHT = 0.3), which bounds the score."""
        visible = query.visible
        best_q: dict[int, float] = {}
        n = 0.0
        distinctive = False
        weights, generic = name.weights, name.generic
        for j, tid in enumerate(name.tids):
            seen = visible.get(tid)
            if seen is None:
                continue
            best = 0.0
            for qis, s in seen:
                if s > best:
                    best = s
                for qi in qis:
                    if s > best_q.get(qi, 0.0):
                        best_q[qi] = s
            n += best * weights[j]
            if not generic[j]:
                distinctive = True
        for tid, i in name.joined:  # "huawei" in the query, "hua wei" in the name
            for qis, s in visible.get(tid, ()):
                n += s * (weights[i] + weights[i + 1])
                if not (generic[i] and generic[i + 1]):
                    distinctive = True
                for qi in qis:
                    if s > best_q.get(qi, 0.0):
                        best_q[qi] = s
        if n > name.total_weight:
            n = name.total_weight
        qweights = query.weights
        a = 0.0
        for qi, s in best_q.items():
            a += s * qweights[qi]
        w = query.total_weight + UNMATCHED_LIST_WEIGHT * name.total_weight
        bound = (a + n) / (w + (1.0 - UNMATCHED_LIST_WEIGHT) * n)
        damp = GENERIC_ONLY_FACTOR if name.has_distinctive and not distinctive else 1.0
        if bound * damp >= floor:
            return bound * damp
        # The whole-name floor ("revolution" ~ "revolutionary" is a pair the index cannot
        # see); it needs close lengths to reach WHOLE_NAME_MIN_SIMILARITY.
        qlen, tlen = len(query.compact), len(name.compact)
        if min(qlen, tlen) < WHOLE_NAME_MIN_LEN or min(qlen, tlen) < 0.75 * max(qlen, tlen):
            return bound * damp
        return max(bound, _whole_name(query.compact, name.compact)) * damp

    def _score_name(self, query: _Query, name: _Name) -> tuple[float, tuple]:
        """Name score of one written form, and (pairs, list tokens used, method)."""
        qtokens, qkeys, sims = query.tokens, query.keys, query.sims
        ttokens = name.tokens
        vocab_tokens, vocab_keys = self._vocab_tokens, self._vocab_keys
        last = len(qtokens) - 1
        # (similarity, words covered, query token indexes, list token indexes)
        candidates: list[tuple[float, int, tuple[int, ...], tuple[int, ...]]] = []
        for qi, q in enumerate(qtokens):
            cache = sims[qi]
            for j, tid in enumerate(name.tids):
                s = cache.get(tid)
                if s is None:
                    s = cache[tid] = _token_similarity(
                        q, qkeys[qi], vocab_tokens[tid], vocab_keys[tid], qi == last
                    )
                if s >= PAIR_MIN_SIMILARITY:
                    candidates.append((s, 2, (qi,), (j,)))
        pairs, used_q, used_t = _greedy(candidates)
        if (len(used_q) < len(qtokens) or len(used_t) < len(ttokens)) or any(
            p[2] < 1.0 for p in pairs
        ):
            # Words written apart on one side and together on the other: "hua wei" ~ "huawei".
            merged = list(candidates)
            runs_by_letter = query.runs_by_letter
            for j, t in enumerate(ttokens):
                for run, joined, key in runs_by_letter.get(t[0], ()):
                    if abs(len(joined) - len(t)) <= 2:
                        s = _token_similarity(joined, key, t, vocab_keys[name.tids[j]])
                        if s >= PAIR_MIN_SIMILARITY:
                            merged.append((s, len(run) + 1, run, (j,)))
            tokens_by_letter = query.tokens_by_letter
            for run, joined, key in name.runs:
                for qi in tokens_by_letter.get(joined[0], ()):
                    q = qtokens[qi]
                    if abs(len(joined) - len(q)) <= 2:
                        s = _token_similarity(q, qkeys[qi], joined, key)
                        if s >= PAIR_MIN_SIMILARITY:
                            merged.append((s, len(run) + 1, (qi,), run))
            if len(merged) > len(candidates):
                pairs, used_q, used_t = _greedy(merged)
        numerator = 0.0
        matched_weight = 0.0
        distinctive_matched = False
        qweights, tweights, generic = query.weights, name.weights, name.generic
        for qis, js, s in pairs:
            pair_list_weight = sum(tweights[j] for j in js)
            numerator += s * (sum(qweights[qi] for qi in qis) + pair_list_weight)
            matched_weight += pair_list_weight
            if not distinctive_matched:
                distinctive_matched = not all(generic[j] for j in js)
        unmatched_weight = name.total_weight - matched_weight
        denominator = query.total_weight + matched_weight + UNMATCHED_LIST_WEIGHT * unmatched_weight
        score = numerator / denominator if denominator else 0.0
        method = "tokens"
        # A word replaced by a different word ("Phatma Bintang" / "Hata Bintang") makes a
        # different name, however close the letters of the whole: no whole-name floor then.
        substituted = any(
            len(t) >= SUBSTITUTED_WORD_MIN_LEN for j, t in enumerate(ttokens) if j not in used_t
        ) and any(
            len(q) >= SUBSTITUTED_WORD_MIN_LEN for qi, q in enumerate(qtokens) if qi not in used_q
        )
        if not substituted:
            whole = _whole_name(query.compact, name.compact)
            if whole > score:
                score, method = whole, "whole name"
        if name.has_distinctive and not distinctive_matched:
            score *= GENERIC_ONLY_FACTOR
        return score, (pairs, used_t, method)


def _whole_name(query: str, listed: str) -> float:
    """Jaro-Winkler of the two names written without spaces, when trusted, else 0."""
    if min(len(query), len(listed)) < WHOLE_NAME_MIN_LEN:
        return 0.0
    whole = JaroWinkler.normalized_similarity(query, listed, prefix_weight=JW_PREFIX_WEIGHT)
    whole *= _length_factor(query, listed)
    return whole if whole >= WHOLE_NAME_MIN_SIMILARITY else 0.0


def _greedy(candidates: list) -> tuple[list, set[int], set[int]]:
    """Best pairs first (among equals, the one covering more words), each token used once."""
    candidates.sort(reverse=True)
    used_q: set[int] = set()
    used_t: set[int] = set()
    pairs = []
    for s, _, qis, js in candidates:
        if used_q.isdisjoint(qis) and used_t.isdisjoint(js):
            used_q.update(qis)
            used_t.update(js)
            pairs.append((qis, js, s))
    return pairs, used_q, used_t


def _adjustments(
    entry: ListEntry, country: str | None, address: str | None
) -> tuple[tuple[str, float], ...]:
    out = []
    if country and entry.countries:
        code = country.strip().upper()
        if code in entry.countries:
            out.append((f"country {code} agrees", COUNTRY_AGREES_BONUS))
        else:
            listed = ",".join(sorted(entry.countries))
            out.append((f"country {code} differs from {listed}", -COUNTRY_DIFFERS_PENALTY))
    if address and entry.addresses:
        overlap = max(address_similarity(address, a) for a in entry.addresses)
        if overlap >= ADDRESS_MATCH_MIN:
            out.append((f"address matches {overlap:.2f}", round(ADDRESS_MATCH_BONUS * overlap, 4)))
    return tuple(out)


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class EvaluationCase:
    query: str
    query_country: str | None
    expected_entry_name: str
    label: str  # "match" or "no_match"
    variant: str


def load_evaluation_set(path: Path = EVALUATION_SET) -> list[EvaluationCase]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            EvaluationCase(
                query=row["query"],
                query_country=(row["query_country"] or "").strip() or None,
                expected_entry_name=(row["expected_entry_name"] or "").strip(),
                label=row["label"].strip(),
                variant=row["variant"].strip(),
            )
            for row in csv.DictReader(handle)
        ]


@lru_cache(maxsize=4)
def evaluation_matcher(path: Path = EVALUATION_LIST) -> NameMatcher:
    return NameMatcher.build(load_csl_csv(path, list_id="evaluation"))


def evaluate(
    threshold: float = DEFAULT_THRESHOLD,
    matcher: NameMatcher | None = None,
    cases: list[EvaluationCase] | None = None,
    brute_force: bool = False,
) -> dict:
    """Precision and recall of screening the evaluation queries against the evaluation list.

    A "match" row is a true positive when its expected entry is among the alerts (score at or
    above the threshold), else a false negative; an alert on a wrong entry is also a false
    positive. A "no_match" row with any alert is a false positive, else a true negative.
    """
    matcher = matcher or evaluation_matcher()
    cases = cases if cases is not None else load_evaluation_set()
    screen = matcher.brute_force_match if brute_force else matcher.match
    counts: Counter[str] = Counter()
    by_variant: dict[str, Counter[str]] = defaultdict(Counter)
    for case in cases:
        hits = screen(case.query, country=case.query_country, threshold=threshold)
        hit_names = {h.entry.name for h in hits}
        outcome: list[str] = []
        if case.label == "match":
            outcome.append("tp" if case.expected_entry_name in hit_names else "fn")
            if hit_names - {case.expected_entry_name}:
                outcome.append("fp")
        else:
            outcome.append("fp" if hits else "tn")
        for o in outcome:
            counts[o] += 1
            by_variant[case.variant][o] += 1
        by_variant[case.variant]["n"] += 1
    tp, fp, fn, tn = (counts[k] for k in ("tp", "fp", "fn", "tn"))
    return {
        "threshold": threshold,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "by_variant": {k: dict(v) for k, v in sorted(by_variant.items())},
    }
