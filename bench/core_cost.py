"""What the screening core costs per declaration, without Kafka, stage by stage.

    .venv/bin/python -m bench.core_cost [--count 5000] [--seed 7]

Prints figures and asserts nothing. The steps of `screener.batch.HistoryScreener`, timed
one by one on valid simulator declarations (planted schemes included), once with an
in-memory store and once with RocksDB (rocksdict, as `screener score --state` uses):

  parse    raw bytes -> Declaration: orjson + strict pydantic validation (intake)
  scatter  the entity events the declaration touches
  history  for each entity: read its row, features before, apply, write the row back
  assess   indicators and score (the pure core)
  ledger   alerts recorded on the entities' rows (only for declarations that alert)
  encode   the assessment (and alert) as the JSON bytes and headers the worker publishes
  hops     what carrying a declaration across the worker's scatter and gather topics adds:
           the declaration dumped to JSON and validated again, entity events and features
           packed per partition and read back (screener/stream/hops.py, as the worker does)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.rig import machine_facts, percentile
from screener.batch import Store, open_state
from screener.core.assess import alerts, assess
from screener.core.history import EntityEvent, HistorySnapshot, scatter
from screener.core.history.state import observe, record_alert
from screener.core.intake import parse_declaration
from screener.core.policy import PolicyBook, load_policy
from screener.models import Declaration
from screener.sim.declarations import generate
from screener.stream.answers import answer_key
from screener.stream.envelopes import Incoming, origin_of, verdict
from screener.stream.hops import Outbox, items_of

console = Console(highlight=False, width=110)
PARTITIONS = 6  # of the worker's internal topics, as by default
STAGES = ("parse", "scatter", "history", "assess", "ledger", "encode", "hops")


def hops(raw: bytes, declaration: Declaration, events: list[EntityEvent], features: list[dict]):
    """The serialisation the worker adds between its agents, for one declaration."""
    declaration_id = declaration.declaration_id
    key = answer_key(declaration_id, raw)
    to_entities, to_gather, back = Outbox(PARTITIONS), Outbox(PARTITIONS), Outbox(PARTITIONS)
    record = Incoming("declarations", 0, 0, declaration_id.encode(), raw, [("trace-id", b"t")])
    carried = {"raw": raw.decode("latin-1"), "origin": origin_of(record), "answer": key}
    to_gather.add(key, {"t": "declaration", "declaration_id": declaration_id, **carried})
    for e in events:
        to_entities.add(e.key, {"t": "event", "event": e.to_dict(), "answer": key})
    for _, value in to_entities.messages():
        for item in items_of(value):
            EntityEvent.from_dict(item["event"])
    parts = {e.key: f for e, f in zip(events, features, strict=True)}
    back.add(
        key, {"t": "features", "declaration_id": declaration_id, "answer": key, "features": parts}
    )
    for _, value in back.messages():
        items_of(value)
    for _, value in to_gather.messages():
        parse_declaration(items_of(value)[0]["raw"].encode("latin-1"))


def screen_timed(raws: list[bytes], book: PolicyBook, store: Store) -> dict[str, list[int]]:
    """Nanoseconds per declaration for each stage."""
    spent: dict[str, list[int]] = defaultdict(list)
    clock = time.perf_counter_ns
    for raw in raws:
        t0 = clock()
        declaration = parse_declaration(raw)
        t1 = clock()
        assert isinstance(declaration, Declaration), declaration
        policy = book.for_time(declaration.declared_at)
        events = scatter(declaration, policy)
        t2 = clock()
        features = []
        for e in events:
            row, f = observe(store.get(e.key), e)
            store[e.key] = row
            features.append(f)
        t3 = clock()
        assessment = assess(declaration, policy, HistorySnapshot.of(features))
        t4 = clock()
        if alerts(assessment, policy):
            at = int(declaration.declared_at.timestamp())
            for e in events:
                if (
                    row := record_alert(store.get(e.key), declaration.declaration_id, at)
                ) is not None:
                    store[e.key] = row
        t5 = clock()
        verdict(assessment, policy, declaration)
        t6 = clock()
        hops(raw, declaration, events, features)
        t7 = clock()
        marks = (t0, t1, t2, t3, t4, t5, t6, t7)
        for stage, start, end in zip(STAGES, marks, marks[1:], strict=False):
            spent[stage].append(end - start)
        spent["entities"].append(len(events))
    return spent


def table(title: str, spent: dict[str, list[int]]) -> Table:
    t = Table(title=title)
    for col in ("stage", "mean µs", "p50 µs", "p99 µs", "share"):
        t.add_column(col, justify="left" if col == "stage" else "right")
    totals = [sum(per) for per in zip(*(spent[s] for s in STAGES), strict=True)]
    grand = sum(totals)
    for stage in (*STAGES, "total"):
        values = sorted(totals if stage == "total" else spent[stage])
        mean = sum(values) / len(values)
        t.add_row(
            stage,
            f"{mean / 1e3:,.0f}",
            f"{percentile(values, 0.5) / 1e3:,.0f}",
            f"{percentile(values, 0.99) / 1e3:,.0f}",
            f"{sum(values) / grand:.0%}",
        )
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    console.print(f"machine: {machine_facts()}")
    raws = [m.value for m in generate(args.count, seed=args.seed, malformed_share=0.0)]
    book = PolicyBook(load_policy())
    screen_timed(raws[:200], book, {})  # warm-up: lazy imports, caches, first allocations
    for name in ("memory", "rocksdb"):
        with (
            tempfile.TemporaryDirectory() as tmp,
            open_state(Path(tmp) / "state" if name == "rocksdb" else None) as state,
        ):
            started = time.perf_counter()
            spent = screen_timed(raws, book, state.history)
            elapsed = time.perf_counter() - started
        entities = sum(spent["entities"]) / len(raws)
        console.print(
            f"\n{name} store: {len(raws):,} declarations, {entities:.1f} entities each, "
            f"{len(raws) / elapsed:,.0f} decl/s on one core"
        )
        console.print(table(f"core cost per declaration, {name} store", spent))


if __name__ == "__main__":
    main()
