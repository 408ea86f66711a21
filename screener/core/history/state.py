"""What an entity remembers, how a declaration updates it, and what it looked like before.

`EntityRow.observe(event, source)` is the whole update step: it returns the point-in-time
features (the history *before* this declaration) and applies the declaration once. A
declaration sent again is not applied again and gets the features of the history without it
(`EntityHistory.without`): a copy is judged as the first time, and an amendment does not
count its own first version as an earlier shipment (a document it quotes as reused, a lot of
its own structuring). A replay's first features are already on their way to gather, which
keeps the first it gets of each entity.

A redelivery is recognised two ways. Where the declaration came in (its partition and offset
on the declarations topic, `source`) recognises any replay after a crash or a rebalance,
however long: one partition's declarations reach a row in the order they came in. The digests
of the last declarations applied recognise a copy sent twice, which comes in at another place.

Every field of `EntityHistory` is an order-independent aggregate (min, max, sums, bounded
sketches, day buckets pruned by event time), so the final history of an entity depends only
on which declarations touched it, not on the order in which workers applied them.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from screener.core.history.entities import EntityEvent, Kind, bucket_value, unit_value_bucket
from screener.core.history.sketches import Bloom, BottomK, BottomKHistograms
from screener.models import Verdict

DAY = 86_400
RETAIN_DAYS = 90
WINDOWS = (1, 7, 30, 90)
COUNTERPARTY_K = 32
ROUTE_K = 16
BLOOM_BITS = 1024
PRICED_HS6_K = 8  # HS6 codes whose unit values a party remembers (its own prices)
APPLIED_SIZE = 256  # recent declarations (digests) kept to refuse a copy sent twice
ALERTED_SIZE = 64  # recent alerts kept to refuse counting one twice
DECIDED_SIZE = 64  # recent dispositions kept, so a changed verdict moves a count, not adds one
CONFIRMED_NAMED = 3  # the latest confirmed declarations a feature names, for the analyst
# Day bucket: (declarations, controlled declarations, mass g, controlled mass g)
BUCKET_FIELDS = 4
EMPTY_DAY = (0,) * BUCKET_FIELDS


def day_of(epoch_seconds: int) -> int:
    return epoch_seconds // DAY


@dataclass
class EntityHistory:
    kind: str
    label: str = ""
    first_seen: int | None = None
    last_seen: int | None = None
    declarations: int = 0
    controlled: int = 0
    mass_g: int = 0
    value_cents: int = 0
    chapters: dict[str, int] = field(default_factory=dict)
    countries: dict[str, int] = field(default_factory=dict)
    hubs: dict[str, int] = field(default_factory=dict)
    counterparties: BottomK = field(default_factory=lambda: BottomK(COUNTERPARTY_K))
    counterparty_bloom: Bloom = field(default_factory=lambda: Bloom(BLOOM_BITS))
    routes: BottomK = field(default_factory=lambda: BottomK(ROUTE_K))
    route_bloom: Bloom = field(default_factory=lambda: Bloom(BLOOM_BITS))
    # Tuples, not lists: a tuple of ints leaves the garbage collector's lists, so full
    # collections do not visit the 90 buckets of each decoded row (as lists, up to 180,000
    # with 2,000 rows cached: full collections took twice as long).
    days: dict[int, tuple[int, ...]] = field(default_factory=dict)
    unit_values: dict[int, int] = field(default_factory=dict)  # log10 USD/kg bucket -> count
    payers: dict[str, int] = field(default_factory=dict)  # payer country -> declarations
    # A party's own controlled unit values per HS6: log10 USD/kg bucket -> count
    priced: BottomKHistograms = field(default_factory=lambda: BottomKHistograms(PRICED_HS6_K))
    # Documents: the earliest quote (event time, declaration id) and the parties on it, the
    # holder of a licence as far as history knows. Earliest wins, so the order of arrival
    # does not matter.
    first_quote: tuple[int, str] | None = None
    first_parties: tuple[str, ...] = ()
    alerts: int = 0
    last_alert_at: int | None = None
    # Analysts' dispositions of alerts on declarations that touched this entity: diversion
    # confirmed (a true hit) or the alert cleared (a false positive).
    confirmed: int = 0
    cleared: int = 0
    # Event time of the latest declaration confirmed (kept if that verdict is withdrawn)
    last_confirmed_at: int | None = None
    # Alerts cleared of declarations after that one: its next shipments looked at and clean
    cleared_since: int = 0
    # Not stored: the windows' sums of the days before one day, kept while only that day's
    # bucket changes (a busy row's declarations come on the same day, and summing its 90
    # retained days for each was the costliest step of its features).
    _before: tuple[tuple[int, tuple[int, ...]], list[list[int]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    # --- update ------------------------------------------------------------------------

    def apply(self, e: EntityEvent) -> None:
        # The smallest label wins, so the label too is independent of arrival order.
        self.label = min(self.label, e.label) if self.label else e.label
        self.first_seen = (
            e.declared_at if self.first_seen is None else min(self.first_seen, e.declared_at)
        )
        self.last_seen = (
            e.declared_at if self.last_seen is None else max(self.last_seen, e.declared_at)
        )
        self.declarations += 1
        self.controlled += e.controlled
        self.mass_g += e.mass_g
        self.value_cents += e.value_cents
        for chapter in e.chapters:
            self.chapters[chapter] = self.chapters.get(chapter, 0) + 1
        for country in e.countries:
            self.countries[country] = self.countries.get(country, 0) + 1
        for hub in e.hubs:
            self.hubs[hub] = self.hubs.get(hub, 0) + 1
        for other in e.counterparties:
            self.counterparties.add(other)
            self.counterparty_bloom.add(other)
        if e.route:
            self.routes.add(e.route)
            self.route_bloom.add(e.route)
        for _, usd_per_kg in e.unit_values:
            bucket = unit_value_bucket(usd_per_kg)
            self.unit_values[bucket] = self.unit_values.get(bucket, 0) + 1
        if e.payer:
            self.payers[e.payer] = self.payers.get(e.payer, 0) + 1
        for _, hs6, usd_per_kg in e.priced:
            self.priced.add(hs6, unit_value_bucket(usd_per_kg))
        if e.kind == Kind.DOCUMENT:
            quote = (e.declared_at, e.declaration_id)
            if self.first_quote is None or quote < self.first_quote:
                self.first_quote, self.first_parties = quote, tuple(e.counterparties)
        day = day_of(e.declared_at)
        if self._before is not None and self._before[0][0] != day:
            self._before = None  # another day's bucket changes
        newest = max(self.days, default=day)
        if day > newest - RETAIN_DAYS:
            declarations, controlled, mass_g, controlled_mass_g = self.days.get(day, EMPTY_DAY)
            self.days[day] = (
                declarations + 1,
                controlled + e.controlled,
                mass_g + e.mass_g,
                controlled_mass_g + e.controlled_mass_g,
            )
        if day > newest:  # the retained days moved on: forget what fell out of them
            self.days = {d: b for d, b in self.days.items() if d > day - RETAIN_DAYS}
            self._before = None  # whatever sizes they were kept for

    def without(self, e: EntityEvent) -> EntityHistory:
        """A copy of this history less what `e` added when it was applied before: the history
        a declaration sent again (a copy, or its amendment, whose first version counted much
        as it does) was judged against the first time. Counts and sums come out exact for a
        copy, and so do the sets of counterparties and routes seen while they are small
        enough to be kept whole; a bloom past that, first and last dates and a document's
        first quote keep it (unless it was the only declaration). A replay after a crash whose
        first features never reached gather is answered from these, as it should have been."""
        h = EntityHistory.from_dict(self.to_dict())
        whole = [
            (sketch, bloom)
            for sketch, bloom in (
                (h.counterparties, "counterparty_bloom"),
                (h.routes, "route_bloom"),
            )
            if len(sketch.counts) < sketch.k  # never evicted one: the counts are the set
        ]
        h.declarations = max(0, h.declarations - 1)
        h.controlled = max(0, h.controlled - e.controlled)
        h.mass_g = max(0, h.mass_g - e.mass_g)
        h.value_cents = max(0, h.value_cents - e.value_cents)
        for counts, items in (
            (h.chapters, e.chapters),
            (h.countries, e.countries),
            (h.hubs, e.hubs),
            (h.counterparties.counts, e.counterparties),
            (h.routes.counts, (e.route,) if e.route else ()),
            (h.unit_values, [unit_value_bucket(v) for _, v in e.unit_values]),
            (h.payers, (e.payer,) if e.payer else ()),
        ):
            _take(counts, items)
        for _, hs6, usd_per_kg in e.priced:
            _take(h.priced.histograms.get(hs6, {}), (unit_value_bucket(usd_per_kg),))
        for sketch, bloom in whole:
            setattr(h, bloom, Bloom(BLOOM_BITS))
            for item in sketch.counts:
                getattr(h, bloom).add(item)
        day = day_of(e.declared_at)
        if day in h.days:
            bucket = (1, e.controlled, e.mass_g, e.controlled_mass_g)
            h.days[day] = tuple(max(0, a - b) for a, b in zip(h.days[day], bucket, strict=True))
        if (
            h.first_quote is not None
            and h.first_quote[1] == e.declaration_id
            and not h.declarations
        ):
            h.first_quote, h.first_parties = None, ()
        if not h.declarations:
            h.first_seen = h.last_seen = None
        return h

    def apply_alert(self, declared_at: int) -> None:
        self.alerts += 1
        self.last_alert_at = (
            declared_at if self.last_alert_at is None else max(self.last_alert_at, declared_at)
        )

    def apply_disposition(self, before: str | None, verdict: str, declared_at: int) -> None:
        """A declaration's alert decided `verdict`, `before` if it was decided otherwise
        already: that count gives it up."""
        after_confirmed = (
            self.last_confirmed_at is not None and declared_at > self.last_confirmed_at
        )
        if before == Verdict.TRUE_HIT:
            self.confirmed = max(0, self.confirmed - 1)
        elif before is not None:
            self.cleared = max(0, self.cleared - 1)
            if after_confirmed:
                self.cleared_since = max(0, self.cleared_since - 1)
        if verdict == Verdict.TRUE_HIT:
            self.confirmed += 1
            if self.last_confirmed_at is None or declared_at >= self.last_confirmed_at:
                self.last_confirmed_at = declared_at
                self.cleared_since = 0  # a diversion again: its next shipments looked at anew
        else:
            self.cleared += 1
            self.cleared_since += after_confirmed

    # --- point-in-time view --------------------------------------------------------------

    def windows(self, day: int, sizes: Sequence[int] = WINDOWS) -> dict[str, list[int]]:
        """Bucket sums over the last `size` days up to `day` (inclusive), for each size: the
        sums of the days before `day` (kept, `_before`) plus `day`'s own bucket."""
        if self._before is None or self._before[0] != (day, tuple(sizes)):
            self._before = ((day, tuple(sizes)), self._sums_before(day, sizes))
        today = self.days.get(day, EMPTY_DAY)
        return {
            str(size): [a + b for a, b in zip(before, today, strict=True)]
            for size, before in zip(sizes, self._before[1], strict=True)
        }

    def _sums_before(self, day: int, sizes: Sequence[int]) -> list[list[int]]:
        """For each size, the bucket sums of the `size - 1` days before `day`, in one pass
        over the retained days (busy rows keep 90)."""
        ordered = sorted(sizes)
        parts: list[list[tuple[int, ...]]] = [[] for _ in ordered]  # not in a smaller size
        for d, bucket in self.days.items():
            age = day - d
            if 0 < age < ordered[-1]:
                parts[bisect.bisect_right(ordered, age)].append(bucket)
        sums, total = {}, [0] * BUCKET_FIELDS
        for size, part in zip(ordered, parts, strict=True):
            if part:  # column sums of the part's buckets, added to the smaller sizes' totals
                total = [
                    a + sum(column)
                    for a, column in zip(total, zip(*part, strict=True), strict=True)
                ]
            sums[size] = total
        return [sums[size] for size in sizes]

    def features(self, e: EntityEvent) -> dict[str, Any]:
        """This entity as it was before `e`, seen from `e`'s point of view."""
        day = day_of(e.declared_at)
        f: dict[str, Any] = {
            "key": e.key,
            "kind": e.kind,
            "role": e.role,
            "label": e.label,
            "prior_declarations": self.declarations,
            "prior_controlled": self.controlled,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }
        if e.kind in (Kind.PARTY, Kind.LANE):
            f["chapter_counts"] = {c: self.chapters.get(c, 0) for c in e.chapters}
            f["distinct_chapters"] = len(self.chapters)
            f["new_counterparties"] = [
                c for c in e.counterparties if c not in self.counterparty_bloom
            ]
            f["distinct_counterparties"] = self.counterparties.distinct()
        if e.kind == Kind.PARTY:
            # A party's line of business as history shows it: the chapters it trades most.
            f["top_chapters"] = [
                [c, n] for c, n in sorted(self.chapters.items(), key=lambda x: (-x[1], x[0]))[:3]
            ]
            f["route"] = e.route
            f["route_seen"] = e.route in self.route_bloom
            f["distinct_routes"] = self.routes.distinct()
            f["hub_counts"] = {h: self.hubs.get(h, 0) for h in e.hubs}
            f["payer"] = e.payer
            f["payer_counts"] = dict(sorted(self.payers.items()))
            f["own_unit_values"] = [
                {"hs6": hs6, **_rank(self.priced.get(hs6), line, v)} for line, hs6, v in e.priced
            ]
        if e.kind in (Kind.PARTY, Kind.FLOW):
            f["windows"] = self.windows(day)
        if e.kind == Kind.ADDRESS:
            others = sorted(c for c in self.counterparties.counts if c not in e.counterparties)
            f["distinct_counterparties"] = self.counterparties.distinct()
            f["other_counterparties"] = others[:5]
            f["new_counterparties"] = [
                c for c in e.counterparties if c not in self.counterparty_bloom
            ]
        if e.kind in (Kind.HS6, Kind.GOODS):
            f["unit_values"] = [_rank(self.unit_values, line, v) for line, v in e.unit_values]
        if e.kind == Kind.DOCUMENT:
            # Who quoted this number before: are this declaration's parties among them?
            f["new_counterparties"] = [
                c for c in e.counterparties if c not in self.counterparty_bloom
            ]
            f["other_counterparties"] = sorted(
                c for c in self.counterparties.counts if c not in e.counterparties
            )[:6]
            f["distinct_counterparties"] = self.counterparties.distinct()
            f["first_parties"] = list(self.first_parties)
        if self.confirmed or self.cleared:  # rare: left out otherwise, as rows leave it out
            f["dispositions"] = {
                "confirmed": self.confirmed,
                "cleared": self.cleared,
                "last_confirmed_at": self.last_confirmed_at,
                "cleared_since": self.cleared_since,
            }
        return f

    # --- storage -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A copy of the history, its int keys and tuples as they are (`encode_row`)."""
        return {
            "kind": self.kind,
            "label": self.label,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "declarations": self.declarations,
            "controlled": self.controlled,
            "mass_g": self.mass_g,
            "value_cents": self.value_cents,
            "chapters": dict(self.chapters),
            "countries": dict(self.countries),
            "hubs": dict(self.hubs),
            "counterparties": dict(self.counterparties.counts),
            "counterparty_bloom": f"{self.counterparty_bloom.bits:x}",
            "routes": dict(self.routes.counts),
            "route_bloom": f"{self.route_bloom.bits:x}",
            "days": dict(self.days),
            "unit_values": dict(self.unit_values),
            "alerts": self.alerts,
            "last_alert_at": self.last_alert_at,
        } | self._optional_dict()

    def _optional_dict(self) -> dict[str, Any]:
        """Fields most rows never fill, stored only when they hold something (rows written
        before they existed read as empty)."""
        optional: dict[str, Any] = {}
        if self.payers:
            optional["payers"] = dict(self.payers)
        if self.first_quote is not None:
            optional["first_quote"] = self.first_quote
            optional["first_parties"] = self.first_parties
        if self.priced.histograms:
            optional["priced"] = {
                hs6: dict(histogram) for hs6, histogram in self.priced.histograms.items()
            }
        if self.confirmed or self.cleared:
            optional["confirmed"] = self.confirmed
            optional["cleared"] = self.cleared
            optional["last_confirmed_at"] = self.last_confirmed_at
            optional["cleared_since"] = self.cleared_since
        return optional

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EntityHistory:
        return cls(
            kind=d["kind"],
            label=d["label"],
            first_seen=d["first_seen"],
            last_seen=d["last_seen"],
            declarations=d["declarations"],
            controlled=d["controlled"],
            mass_g=d["mass_g"],
            value_cents=d["value_cents"],
            chapters=d["chapters"],
            countries=d["countries"],
            hubs=d["hubs"],
            counterparties=BottomK(COUNTERPARTY_K, d["counterparties"]),
            counterparty_bloom=Bloom(BLOOM_BITS, int(d["counterparty_bloom"], 16)),
            routes=BottomK(ROUTE_K, d["routes"]),
            route_bloom=Bloom(BLOOM_BITS, int(d["route_bloom"], 16)),
            days={int(k): tuple(v) for k, v in d["days"].items()},
            unit_values={int(k): v for k, v in d["unit_values"].items()},
            payers=dict(d.get("payers", {})),
            priced=BottomKHistograms(
                PRICED_HS6_K,
                {
                    hs6: {int(b): c for b, c in histogram.items()}
                    for hs6, histogram in d.get("priced", {}).items()
                },
            ),
            first_quote=tuple(d["first_quote"]) if d.get("first_quote") else None,
            first_parties=tuple(d.get("first_parties", ())),
            alerts=d["alerts"],
            last_alert_at=d["last_alert_at"],
            confirmed=d.get("confirmed", 0),
            cleared=d.get("cleared", 0),
            last_confirmed_at=d.get("last_confirmed_at"),
            cleared_since=d.get("cleared_since", 0),
        )


def _take(counts: dict, items: Iterable) -> None:
    """One less of each item; an item counted no more is gone."""
    for item in items:
        if (n := counts.get(item, 0)) > 1:
            counts[item] = n - 1
        else:
            counts.pop(item, None)


def _rank(histogram: dict[int, int], line: int, usd_per_kg: float) -> dict[str, Any]:
    """Where a unit value falls in a histogram of earlier ones: the share of earlier values
    strictly below and strictly above its bucket, and the median bucket's value."""
    n = sum(histogram.values())
    bucket = unit_value_bucket(usd_per_kg)
    below = sum(c for b, c in histogram.items() if b < bucket)
    above = sum(c for b, c in histogram.items() if b > bucket)
    median = None
    if n:
        seen = 0
        for b in sorted(histogram):
            seen += histogram[b]
            if seen * 2 >= n:
                median = round(bucket_value(b), 4)
                break
    return {
        "line": line,
        "usd_per_kg": round(usd_per_kg, 4),
        "observations": n,
        "share_below": round(below / n, 4) if n else None,
        "share_above": round(above / n, 4) if n else None,
        "median_usd_per_kg": median,
    }


def id_digest(declaration_id: str) -> bytes:
    """64 bits of a declaration id. The applied ledger keeps these: 11 bytes of a row's JSON
    (base64) instead of about 22 for the id; two ids share one with odds of 1 in 2**64."""
    return hashlib.blake2b(declaration_id.encode(), digest_size=8).digest()


class Digests:
    """The digests of the last `size` declarations applied to a row, oldest first, packed in
    one bytes object. As a list and a set of 256 bytes objects each, 20,000 decoded rows made a
    full garbage collection visit 10 million references, and decoding a row built 512
    objects."""

    __slots__ = ("packed", "size")
    WIDTH = 8  # bytes of an id_digest

    def __init__(self, size: int, packed: bytes = b"") -> None:
        self.size = size
        self.packed = packed[-size * self.WIDTH :]

    def __contains__(self, digest: bytes) -> bool:
        at = self.packed.find(digest)
        while at != -1 and at % self.WIDTH:  # a match across two digests is no match
            at = self.packed.find(digest, at + 1)
        return at != -1

    def add(self, digest: bytes) -> None:
        self.packed = (self.packed + digest)[-self.size * self.WIDTH :]

    def __len__(self) -> int:
        return len(self.packed) // self.WIDTH

    def __iter__(self) -> Iterator[bytes]:
        for at in range(0, len(self.packed), self.WIDTH):
            yield self.packed[at : at + self.WIDTH]


# Where a declaration came in: (partition, offset) on the declarations topic.
Source = tuple[int, int]


class Redelivery:
    """Why an event was not applied again."""

    REPLAY = "replay"  # came in at or before the last declaration applied from its partition
    COPY = "copy"  # came in at a new place, but its digest is on the ledger


@dataclass
class EntityRow:
    """A table row: the history plus what makes updates idempotent (the last place applied
    from each input partition, the digests of the last declarations applied)."""

    history: EntityHistory
    applied: Digests = field(default_factory=lambda: Digests(APPLIED_SIZE))
    alerted: list[str] = field(default_factory=list)
    sources: dict[int, int] = field(default_factory=dict)  # partition -> last offset applied
    decided: dict[str, str] = field(default_factory=dict)  # declaration id -> verdict, oldest first

    def _redelivery(self, digest: bytes, source: Source | None) -> str | None:
        """Whether a declaration was applied already, and how that is known."""
        if source is not None and source[1] <= self.sources.get(source[0], -1):
            return Redelivery.REPLAY
        if digest in self.applied:
            return Redelivery.COPY
        return None

    def observe(self, e: EntityEvent, source: Source | None = None) -> dict[str, Any]:
        return self.update(e, source)[0]

    def update(self, e: EntityEvent, source: Source | None = None) -> tuple[dict, str | None]:
        """The features before `e`, and why `e` was not applied (None: it was). A
        declaration sent again is judged against the history without it, as the first time."""
        digest = id_digest(e.declaration_id)
        why = self._redelivery(digest, source)
        features = (self.history if why is None else self.history.without(e)).features(e)
        if (dispositions := features.get("dispositions")) and dispositions["confirmed"]:
            dispositions["confirmed_declarations"] = [
                i for i, v in self.decided.items() if v == Verdict.TRUE_HIT
            ][-CONFIRMED_NAMED:]
        if why == Redelivery.COPY:
            features["sent_before"] = True  # an earlier version of it came here
        elif why is None and e.kind == Kind.PARTY and len(self.applied) == APPLIED_SIZE:
            features["may_forget"] = True  # a declaration not on the ledger may have been
        if why is None:
            self.history.apply(e)
            self.applied.add(digest)
        if source is not None:
            partition, offset = source
            self.sources[partition] = max(offset, self.sources.get(partition, -1))
        return features, why

    def record_alert(self, declaration_id: str, declared_at: int) -> bool:
        if declaration_id in self.alerted:
            return False
        self.history.apply_alert(declared_at)
        self.alerted = [*self.alerted, declaration_id][-ALERTED_SIZE:]
        return True

    def record_disposition(self, declaration_id: str, verdict: str, declared_at: int) -> bool:
        """An analyst's verdict on the alert of a declaration that touched this entity, once:
        the same verdict again changes nothing, another moves the count."""
        before = self.decided.pop(declaration_id, None)
        self.decided[declaration_id] = verdict
        while len(self.decided) > DECIDED_SIZE:
            del self.decided[next(iter(self.decided))]
        if before == verdict:
            return False
        self.history.apply_disposition(before, verdict, declared_at)
        return True

    def to_dict(self) -> dict[str, Any]:
        d = {
            "history": self.history.to_dict(),
            "applied": base64.b64encode(self.applied.packed).decode(),
            "alerted": list(self.alerted),
        }
        if self.sources:  # rows of batch scoring have none
            d["sources"] = dict(self.sources)
        if self.decided:  # pairs: JSON objects are written with their keys sorted
            d["decided"] = [[i, v] for i, v in self.decided.items()]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EntityRow:
        stored = d["applied"]
        if isinstance(stored, str):
            packed = base64.b64decode(stored)
        else:  # rows written before the ledger kept digests: the ids themselves
            packed = b"".join(id_digest(i) for i in stored)
        return cls(
            EntityHistory.from_dict(d["history"]),
            Digests(APPLIED_SIZE, packed),
            d["alerted"],
            {int(p): o for p, o in d.get("sources", {}).items()},
            {i: v for i, v in d.get("decided", ())},
        )

    @classmethod
    def new(cls, kind: str) -> EntityRow:
        return cls(EntityHistory(kind))


def observe(stored: bytes | None, e: EntityEvent) -> tuple[bytes, dict[str, Any]]:
    """One update step on a stored row: (new row bytes, features before `e`)."""
    row = EntityRow.from_dict(orjson.loads(stored)) if stored else EntityRow.new(e.kind)
    features = row.observe(e)
    return encode_row(row), features


def record_alert(stored: bytes | None, declaration_id: str, declared_at: int) -> bytes | None:
    """The row with one more alert on its ledger, or None when nothing changed."""
    if not stored:
        return None
    row = EntityRow.from_dict(orjson.loads(stored))
    return encode_row(row) if row.record_alert(declaration_id, declared_at) else None


def record_disposition(
    stored: bytes | None, declaration_id: str, verdict: str, declared_at: int
) -> bytes | None:
    """The row with an analyst's verdict on a declaration's alert, or None when nothing
    changed (no row, or the same verdict again)."""
    if not stored:
        return None
    row = EntityRow.from_dict(orjson.loads(stored))
    changed = row.record_disposition(declaration_id, verdict, declared_at)
    return encode_row(row) if changed else None


class RowBatch:
    """The rows one batch of events touches: each read and decoded once, each written back
    once, however many events of the batch hit it (busy entities such as an HS6 code or a
    main lane see many per batch).

    `held` (optional) gives rows changed by earlier batches and not yet written; they are
    read first. `cache` (optional) keeps decoded rows between batches, so a busy row is not
    decoded again after every flush; it must hold rows only as they were last written or as
    `held` holds them, and is read before the store.
    """

    def __init__(
        self,
        load: Callable[[str], bytes | None],
        held: Callable[[str], EntityRow | None] | None = None,
        cache: MutableMapping[str, EntityRow] | None = None,
    ) -> None:
        self._load = load
        self._held = held
        self._cache = cache
        self._rows: dict[str, EntityRow] = {}
        self._dirty: set[str] = set()
        self.redeliveries: Counter[str] = Counter()  # events not applied again, by `Redelivery`

    def _row(self, key: str, kind: str | None) -> EntityRow | None:
        row = self._rows.get(key)
        if row is None and self._held is not None:
            row = self._held(key)
        if row is None and self._cache is not None:
            row = self._cache.get(key)
        if row is None:
            stored = self._load(key)
            if stored:
                row = EntityRow.from_dict(orjson.loads(stored))
            elif kind is not None:
                row = EntityRow.new(kind)
            else:
                return None
        self._rows[key] = row
        return row

    def observe(self, e: EntityEvent, source: Source | None = None) -> dict[str, Any]:
        return self.update(e, source)[0]

    def update(self, e: EntityEvent, source: Source | None = None) -> tuple[dict, str | None]:
        """The features before `e`, and why `e` was not applied (None: it was)."""
        row = self._row(e.key, e.kind)
        assert row is not None
        self._dirty.add(e.key)
        features, why = row.update(e, source)
        if why is not None:
            self.redeliveries[why] += 1
        return features, why

    def record_alert(self, key: str, declaration_id: str, declared_at: int) -> None:
        row = self._row(key, None)
        if row is not None and row.record_alert(declaration_id, declared_at):
            self._dirty.add(key)

    def record_disposition(
        self, key: str, declaration_id: str, verdict: str, declared_at: int
    ) -> None:
        row = self._row(key, None)
        if row is not None and row.record_disposition(declaration_id, verdict, declared_at):
            self._dirty.add(key)

    def touched(self) -> dict[str, EntityRow]:
        """Key -> row, for every row the batch changed (now also in the cache)."""
        rows = {key: self._rows[key] for key in self._dirty}
        if self._cache is not None:
            self._cache.update(rows)
        return rows


# A row as JSON: int keys written as strings, tuples as arrays, the keys of every object
# sorted, so equal rows give equal bytes. Sorted by orjson, not copied sorted in Python: the
# 200 busiest rows of 20,000 simulated declarations take 15 µs each to encode instead of 35,
# and a flush encodes its slice with the agent waiting.
ROW_JSON = orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS


def encode_row(row: EntityRow) -> bytes:
    return orjson.dumps(row.to_dict(), option=ROW_JSON)
