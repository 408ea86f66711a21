"""A labelled declaration stream from a seeded world: ordinary trade with its weekly and
yearly rhythm, planted diversion campaigns after a warm-up, optionally malformed lines.
A declaration amended after filing is sent twice, as the contract asks: its first version
(`superseded` in the labels), then the amended one under the same declaration id.

Same spec, same bytes: every random choice comes from generators seeded by the spec's seed,
and time comes from the spec's start, never from the wall clock. The labels (what each line
really is) are returned beside the messages and written to their own file; nothing in a
message tells them apart.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import orjson

from screener.sim.compose import AMENDS, Raw, amends, first_version, ordinary
from screener.sim.declarations import BREAKERS
from screener.sim.schemes import SCHEMES, Kit
from screener.sim.world import Namer, WorldSize, build_world

DEFAULT_START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
ORDINARY = "ordinary"
MALFORMED = "malformed:"
TYPE_CODES = {"export": "EXP", "import": "IMP", "re-export": "REX", "transit": "TRN"}
# Filing rhythm: brokers file on working days, in working hours, less in August, February
# (the Lunar New Year) and late December, more before the year-end peak.
WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.95, 0.35, 0.15)
MONTH = (0.95, 0.8, 1.0, 1.0, 1.0, 1.0, 0.95, 0.85, 1.05, 1.1, 1.1, 0.9)
WORKING_HOURS = range(6, 20)
NIGHT = 0.3


@dataclass(frozen=True)
class TrafficSpec:
    count: int
    per_day: float = 1500.0  # average declarations per day of event time
    seed: int = 7
    start: datetime = DEFAULT_START
    world: WorldSize = field(default_factory=WorldSize)
    planted_share: float = 0.03  # of the declarations after the warm-up
    scheme_weights: Mapping[str, float] | None = None  # None: every scheme alike
    malformed_share: float = 0.0
    warmup_days: float = 7.0  # ordinary trade only, so that history builds up first

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("count must not be negative")
        if self.per_day <= 0:
            raise ValueError("per_day must be positive")
        for name in ("planted_share", "malformed_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.planted_share + self.malformed_share > 1:
            raise ValueError("planted_share + malformed_share must not exceed 1")
        if self.warmup_days < 0:
            raise ValueError("warmup_days must not be negative")
        weights = self.weights
        unknown = sorted(set(weights) - set(SCHEMES))
        if unknown:
            raise ValueError(f"unknown schemes {unknown}; known: {sorted(SCHEMES)}")
        if any(w < 0 for w in weights.values()) or not any(weights.values()):
            raise ValueError("scheme weights must be >= 0 and not all 0")

    @property
    def weights(self) -> dict[str, float]:
        return dict(self.scheme_weights) if self.scheme_weights else dict.fromkeys(SCHEMES, 1.0)

    @property
    def span(self) -> timedelta:
        return timedelta(days=self.count / self.per_day)


@dataclass(frozen=True)
class Simulated:
    key: bytes | None
    value: bytes
    label: str  # "ordinary", a scheme name, or "malformed:<kind>"
    declaration_id: str | None
    declared_at: datetime
    warmup: bool  # in the warm-up period: scored for history, not counted in evaluation
    superseded: bool = False  # a first version, sent again later amended under its id


@dataclass
class Filing:
    """A line of the stream before it has its id: the first version it amends, if any."""

    at: datetime
    label: str
    raw: Raw
    amends: Filing | None = None
    superseded: bool = False


def filings(at: datetime, label: str, raw: Raw) -> list[Filing]:
    """A declaration's lines: itself, or its first version and then itself amended."""
    if (first := raw.pop(AMENDS, None)) is None:
        return [Filing(at, label, raw)]
    first_at, first_raw = first
    before = Filing(first_at, label, first_raw, superseded=True)
    return [before, Filing(at, label, raw, amends=before)]


def simulate(spec: TrafficSpec) -> list[Simulated]:
    """The labelled stream in event-time order."""
    seed = spec.seed
    world = build_world(seed, spec.world)
    start = spec.start.astimezone(UTC)
    end = start + spec.span
    warm_end = start + timedelta(days=spec.warmup_days)
    if spec.planted_share and warm_end >= end:
        raise ValueError("the warm-up fills the whole stream: no room for planted schemes")
    # The planted share is of the traffic after the warm-up, where planting happens.
    live = max(0.0, 1 - spec.warmup_days / (spec.count / spec.per_day)) if spec.count else 0
    n_planted = round(spec.count * live * spec.planted_share)
    n_malformed = round(spec.count * spec.malformed_share)

    rng = random.Random(f"ordinary:{seed}")
    stream: list[Filing] = []
    for at in draw_times(rng, spec.count - n_planted, start, end):
        account = world.pick_account(rng, (at - start) / spec.span)
        stream += _ordinary(rng, ordinary(rng, account, at), at, start)

    kit = Kit(
        random.Random(f"schemes:{seed}"),
        world,
        Namer(random.Random(f"names:{seed}"), world.names),
        sorted(((f.at, f.raw) for f in stream), key=lambda line: line[0]),  # first versions too
        end,
    )
    planted, made = _plant(kit, spec, n_planted, warm_end, end)
    # Shortfalls (a tiny world with nothing to copy or divert) become ordinary trade.
    for at in draw_times(rng, n_planted - made, start, end):
        stream += _ordinary(rng, ordinary(rng, world.pick_account(rng, 0.0), at), at, start)
    stream += planted
    stream.sort(key=lambda f: f.at)
    return _assemble(stream, seed, n_malformed, warm_end)


def _ordinary(rng: random.Random, raw: Raw, at: datetime, start: datetime) -> list[Filing]:
    """An amended declaration comes after its first version, unless that was filed before
    the stream starts."""
    if raw["amendments"]:
        first_at, first = first_version(rng, raw)
        if first_at >= start:
            amends(raw, first_at, first)
    return filings(at, ORDINARY, raw)


def _plant(
    kit: Kit, spec: TrafficSpec, total: int, warm_end: datetime, end: datetime
) -> tuple[list[Filing], int]:
    """The planted lines, and how many declarations they are (first versions aside)."""
    planted, declarations = [], 0
    for scheme, target in allocate(total, spec.weights).items():
        made, attempts = 0, 0
        while made < target and attempts < target + 20:
            attempts += 1
            (start,) = draw_times(kit.rng, 1, warm_end, end)
            for at, raw in SCHEMES[scheme](kit, start)[: target - made]:
                planted += filings(at, scheme, raw)
                made += 1
        declarations += made
    return planted, declarations


def _assemble(
    stream: list[Filing], seed: int, n_malformed: int, warm_end: datetime
) -> list[Simulated]:
    rng = random.Random(f"assembly:{seed}")
    ids = IdBook(rng)
    # Break only lines that stand alone: a broken first version would leave no id to amend.
    ordinary_at = [
        i for i, f in enumerate(stream) if f.label == ORDINARY and not f.superseded and not f.amends
    ]
    broken = {
        i: rng.choice(sorted(BREAKERS))
        for i in rng.sample(ordinary_at, min(n_malformed, len(ordinary_at)))
    }
    out = []
    for i, f in enumerate(stream):
        raw, at, warmup = f.raw, f.at, f.at < warm_end
        raw["declaration_id"] = (
            f.amends.raw["declaration_id"]  # filed earlier, so numbered already
            if f.amends
            else ids.next(raw["customs_office"][:2], raw["declaration_type"], at)
        )
        if i in broken:
            key, value, declaration_id = BREAKERS[broken[i]](rng, orjson.loads(orjson.dumps(raw)))
            out.append(Simulated(key, value, MALFORMED + broken[i], declaration_id, at, warmup))
            continue
        key = raw["declaration_id"].encode()
        out.append(
            Simulated(
                key, orjson.dumps(raw), f.label, raw["declaration_id"], at, warmup, f.superseded
            )
        )
    return out


def allocate(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """`total` split by weight, largest remainders first, so the counts add up exactly."""
    names = sorted(weights)
    norm = sum(weights.values())
    exact = {n: total * weights[n] / norm for n in names}
    counts = {n: math.floor(v) for n, v in exact.items()}
    by_remainder = sorted(names, key=lambda n: (-(exact[n] - counts[n]), n))
    for n in by_remainder[: total - sum(counts.values())]:
        counts[n] += 1
    return counts


def intensity(at: datetime) -> float:
    """Relative filing rate at an event time (UTC; brokers across time zones blur the hours)."""
    hour = 1.0 if at.hour in WORKING_HOURS else NIGHT
    return WEEKDAY[at.weekday()] * MONTH[at.month - 1] * hour


def draw_times(rng: random.Random, n: int, start: datetime, end: datetime) -> list[datetime]:
    """`n` sorted event times in [start, end) following `intensity` (thinning)."""
    width = (end - start).total_seconds()
    times: list[datetime] = []
    while len(times) < n:
        at = start + timedelta(seconds=int(rng.random() * width))
        if rng.random() * 1.2 <= intensity(at):
            times.append(at)
    return sorted(times)


class IdBook:
    """Declaration ids like CN-EXP-2026-0004217: a running number per office country, type
    and year; other brokers file in between, so one stream's numbers skip."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._last: dict[tuple[str, str, int], int] = {}

    def next(self, country: str, kind: str, at: datetime) -> str:
        key = (country, kind, at.year)
        if key not in self._last:
            self._last[key] = self._rng.randint(1_000, 60_000)
        self._last[key] += self._rng.randint(1, 25)
        return f"{country}-{TYPE_CODES[kind]}-{at.year}-{self._last[key]:07d}"


# --- files ----------------------------------------------------------------------------------

LABEL_FIELDS = ("line", "declaration_id", "label", "warmup", "superseded")


def write_stream(records: Iterable[Simulated], handle: IO[bytes]) -> int:
    """JSON lines; a malformed value's own newlines become spaces so lines stay lines."""
    n = 0
    for r in records:
        handle.write(r.value.replace(b"\n", b" ") + b"\n")
        n += 1
    return n


def write_labels(records: Iterable[Simulated], path: Path) -> None:
    """One row per line of the stream: CSV, or JSON lines when the name ends in .jsonl."""
    rows = [
        {
            "line": n,
            "declaration_id": r.declaration_id,
            "label": r.label,
            "warmup": r.warmup,
            "superseded": r.superseded,
        }
        for n, r in enumerate(records, start=1)
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        if path.suffix == ".jsonl":
            handle.writelines(orjson.dumps(row).decode() + "\n" for row in rows)
            return
        writer = csv.DictWriter(handle, fieldnames=LABEL_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "declaration_id": row["declaration_id"] or ""})


@dataclass(frozen=True)
class Label:
    line: int
    declaration_id: str | None
    label: str
    warmup: bool
    superseded: bool = False


def read_labels(path: Path) -> list[Label]:
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix == ".jsonl":
            rows = [orjson.loads(line) for line in handle if line.strip()]
        else:
            rows = list(csv.DictReader(handle))
    return [
        Label(
            int(r["line"]),
            r["declaration_id"] or None,
            r["label"],
            _true(r["warmup"]),
            _true(r.get("superseded", False)),  # files written before first versions were sent
        )
        for r in rows
    ]


def _true(value: object) -> bool:
    return value in (True, "True", "true", "1")
