"""Gather: each declaration waits in its pending row for the features of every entity it
touches; once all are there it is assessed, the answer published and kept (`answers.py`).

The declaration comes from screen, its features from history. When this worker holds the
declaration's gather partition they are merged at once, by the agent that made them
(`declarations`, `features`; features of a redelivered entity event excepted); otherwise they
travel through the gather topic. In-process the declaration is answered a hop sooner (at 250
decl/s the hop took p50 10-20 ms), and neither the broker nor gather handles a record for
it: the pending row is what keeps the parts. A screen batch's events are acknowledged once
the pending rows are written; a history batch's once its own rows are, which are written
after every pending row that took features in-process (`WriteBehind.writes_after`). So a
rebalance waits for both, and the rows held are flushed before the partitions go
(`WriteBehind.attach`).

Pending rows are written behind (`write_behind.py`): most declarations are answered before
the next flush, so their row is written once, answered, instead of once per part. A row with
features of a history applied in-process, whose order no topic keeps (`history.py`), goes out
with its answer instead, so that a replay after a crash gets that answer again.

The declaration travels as its original bytes, with where it came in: a declaration whose
assessment fails becomes a dead letter like any other, and its answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from dataclasses import dataclass, replace
from typing import Any

import faust
import orjson
from cachetools import LRUCache

from screener.core.assess import assess
from screener.core.history import HistorySnapshot
from screener.core.intake import Rejection, parse_declaration
from screener.core.policy import PolicyBook
from screener.models import Declaration
from screener.observability import metrics
from screener.settings import Settings
from screener.stream.answers import AnswerTimes, answered, declaration_of, recall, remember
from screener.stream.envelopes import (
    Outgoing,
    Output,
    Screened,
    failed,
    fitted,
    incoming_from,
    verdict,
)
from screener.stream.hops import Outbox, items_of, partition_of
from screener.stream.sending import Message, Publish, hop, observe_outcome, published
from screener.stream.table_writes import read
from screener.stream.topics import LARGEST_RECORD
from screener.stream.write_behind import WriteBehind

log = logging.getLogger(__name__)

# After an assignment every pending row is read once for its answer time, a few hundred at a
# time with a pause between: read at once, 42,000 rows took 0.3 s of the event loop, and every
# declaration of that second was late (p99 at 300 decl/s 173 ms, the slowest 431 ms).
# 200 rows take about 1.5 ms, so the read takes about an eighth of a core until it is done.
READ_CHUNK = 200
READ_PAUSE_S = 0.01

# Declarations merged here kept parsed till their features come: with several workers, most
# wait for another worker's; past this many they are parsed again from their bytes.
PARSED_KEPT = 2_000

# What gather merges: an item, its gather partition, and when it was sent
Part = tuple[dict[str, Any], int, float | None]


@dataclass
class Gathered:
    """What merging parts into pending rows caused."""

    messages: list[Message]  # answers (and recalled answers)
    ledgers: list[dict[str, Any]]  # alert items for the entities' ledgers (`_ledger_alerts`)
    rows: dict[str, tuple[int, dict[str, Any]]]  # changed rows: key -> (partition, row)
    outcomes: list[tuple[Screened, float | None]]  # for the metrics, once published
    with_answers: set[str]  # rows to write with their answers (features not `ordered`)
    again: int = 0  # declarations answered with an answer given before (copies), for metrics


def _key(item: dict[str, Any]) -> str:
    """The pending row an item goes to: its declaration's answer key (`answer_key`), or its
    id alone for items made before answer keys."""
    if "answer" in item:
        return item["answer"]
    if "declaration_id" in item:
        return item["declaration_id"]
    return item["declaration"]["declaration_id"]  # sent before its original bytes travelled


def _ledger_alerts(key: str, alerted: list[Any] | None) -> list[dict[str, Any]]:
    """The alert items for the ledgers of the entities an alert names: `alerted` is
    [declared at, entity keys], as a remembered row keeps it. A ledger records a
    declaration's alert once, whichever of its versions alerted."""
    if not alerted:
        return []
    declared_at, entities = alerted
    declaration_id = declaration_of(key)
    return [
        {"t": "alert", "key": entity, "declaration_id": declaration_id, "declared_at": declared_at}
        for entity in entities
    ]


def _encode_pending(row: dict[str, Any] | None) -> bytes | None:
    return None if row is None else orjson.dumps(row)


def _declaration_of(row: dict[str, Any]) -> Declaration:
    if "raw" not in row:  # sent before the original bytes travelled with it
        return Declaration.model_validate(row["declaration"])
    parsed = parse_declaration(row["raw"].encode("latin-1"))
    if isinstance(parsed, Rejection):  # screen accepted these very bytes
        raise ValueError(f"taken in, then refused: {parsed.reason}")
    return parsed


def _answering_again(row: dict[str, Any], item: dict[str, Any]) -> bool:
    """Whether `item` is the features item that answered `row`, read again: a replay of the
    gather topic after a crash that may have stopped the answer (`Gather._answer`). The
    features of a copy came in elsewhere (`source`), and get no answer of their own."""
    answered_by = row.get("answered_by")
    return item["t"] == "features" and answered_by is not None and answered_by == item.get("source")


async def _observed(sent: Awaitable[list[Any]] | None, gathered: Gathered) -> list[Any]:
    """Once the broker has what a merge sent (returned): the metrics of its outcomes."""
    acknowledged = [] if sent is None else await sent
    for screened, timestamp in gathered.outcomes:
        observe_outcome(screened, timestamp)
    if gathered.again:
        metrics.ANSWERED_AGAIN.inc(gathered.again)
    return acknowledged


def _observe_stages(row: dict[str, Any]) -> None:
    """Split a declaration's latency so far by agent (all times from the Kafka records)."""
    received, screened, featured = row["timestamp"], row["screened_at"], row.get("featured_at")
    if not (received and screened and featured):
        return
    now = time.time()
    for stage, seconds in (
        ("screen", screened - received),
        ("history", featured - screened),
        ("gather", now - max(featured, screened)),
    ):
        metrics.labelled(metrics.STAGE_LATENCY, stage).observe(max(0.0, seconds))


class Gather:
    """The pending table, its rows held between flushes, and the answers kept in it."""

    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        book: PolicyBook,
        pending: faust.Table,
        publish: Publish,
        entity_topic: faust.TopicT,
        gather_topic: faust.TopicT,
        outputs: Mapping[Output, faust.TopicT],
        dead_letter_limit: int = LARGEST_RECORD,
    ) -> None:
        self.settings = settings
        self.book = book
        self.pending = pending
        self.publish = publish
        self.entity_topic, self.gather_topic = entity_topic, gather_topic
        self.outputs = outputs
        self.dead_letter_limit = dead_letter_limit
        self.waiting = WriteBehind(pending, _encode_pending, publish, settings.row_flush_ms / 1000)
        self.answer_times = AnswerTimes()
        self.held_here: set[int] = set()  # gather partitions whose features merge in-process
        # Whether this worker applies the alerts of an entity's ledger itself (`History`)
        self.ledgers_here: Callable[[str], bool] = lambda entity: False
        # What goes with a published alert for its dispositions (`Dispositions.notes`)
        self.notes: Callable[[Sequence[Outgoing]], list[Message]] = lambda outgoing: []
        # Declarations merged here as screen parsed them, with their bytes, until answered
        self.parsed: LRUCache[str, tuple[str, Declaration]] = LRUCache(PARSED_KEPT)
        self._attach(app)

    # --- the two ways in --------------------------------------------------------------

    async def batch(self, events: list[faust.EventT]) -> None:
        """One batch of the gather topic."""
        parts = [
            (item, event.message.partition, event.message.timestamp)
            for event in events
            for item in items_of(event.message.value)
        ]
        _, sent = await self._merge_and_answer(parts, events)
        await sent

    async def declarations(
        self,
        items: list[dict[str, Any]],
        events: Sequence[faust.EventT],
        also: list[Message],
        parsed: Sequence[Declaration] = (),
    ) -> tuple[list[Any], list[dict[str, Any]]]:
        """A screen batch's declarations, published with `also` (its entity events and dead
        letters) unless merged here (`_here_or_there`), in one round trip with what the
        merge answers. The batch's `events` are acknowledged once the pending rows of the
        declarations merged here are written. Returns what the broker acknowledged of
        `also` (record metadata), first, and the alerts for the ledgers this worker applies
        itself (`_answer`).

        `parsed`: the declarations as screen parsed them from the items' bytes; those merged
        here are assessed as they are, not parsed again (`_screen`)."""
        parts, messages = self._here_or_there(items)
        merged_here = {_key(item) for item, *_ in parts}
        for item, declaration in zip(items, parsed, strict=False):
            if (key := _key(item)) in merged_here:
                self.parsed[key] = (item["raw"], declaration)
        out = also + messages
        if not parts:
            return await self.publish(out), []
        kept, sent = await self._merge_and_answer(parts, events, out, keep_ledgers=True)
        return (await sent)[: len(out)], kept

    async def features(
        self, items: list[dict[str, Any]], redelivered: set[str], ordered: bool = True
    ) -> asyncio.Future[Any] | None:
        """A history batch's features, one item per declaration: merged here, or published
        (`_here_or_there`), with what the merge answers, in one round trip. Returns once
        merged, with that round trip on its way: the future history holds its rows after
        (`WriteBehind.hold`). The batch's events are held by history, whose rows are
        written after every pending row that took features here (`WriteBehind.writes_after`)
        and after what this sent: an entity event is never committed while its features
        could still be lost.

        `ordered`: the features come from entity events read from the entity topic, which a
        replay after a crash applies in the same order again. Features of a history applied
        in-process (`History.here`) are not: the declaration's pending row goes out with
        its answer, so that a replay finds the answer instead of another (`_answer`).

        Not merged here: the features of a redelivered entity event (`redelivered`:
        declaration ids). They show the history after the declaration, and the first
        features, computed when it was applied, are in its pending row or still wait in the
        gather topic, where they come first. An event applied now gives the same features
        it gave the first time, if there was one (a crash before its row was written): it
        is applied to the row as it was then."""
        if not ordered:
            for item in items:
                item["unordered"] = True
                if _key(item) in redelivered:  # a replay of screen's batch,
                    item.pop("source", None)  # whose declaration gets the answer again
        parts, messages = self._here_or_there(items, redelivered)
        if not parts:
            return asyncio.ensure_future(self.publish(messages)) if messages else None
        _, sent = await self._merge_and_answer(parts, (), messages, owed=True)
        return sent

    def _here_or_there(
        self, items: list[dict[str, Any]], redelivered: Set[str] = frozenset()
    ) -> tuple[list[Part], list[Message]]:
        """Parts made by an agent of this worker: those of the gather partitions held here
        to merge at once, the records of the others for the gather topic. What is merged
        here is published nowhere else: the pending rows keep it."""
        now = time.time()
        partitions = self.settings.internal_partitions
        parts: list[Part] = []
        to_gather = Outbox(partitions)
        for item in items:
            key = _key(item)
            partition = partition_of(key, partitions)
            if partition in self.held_here and key not in redelivered:
                parts.append((item, partition, now))
            else:
                to_gather.add(key, item)
        return parts, hop(self.gather_topic, to_gather)

    # --- merging and answering -------------------------------------------------------

    async def _merge_and_answer(
        self,
        parts: list[Part],
        events: Sequence[faust.EventT],
        also: Sequence[Message] = (),
        owed: bool = False,
        keep_ledgers: bool = False,
    ) -> tuple[list[dict[str, Any]], asyncio.Future[list[Any]]]:
        """`owed`: the parts came with another agent's events, which wait for the rows
        (`WriteBehind.hold`). `keep_ledgers`: return the ledgers' alert items of the
        declarations whose ledgers this worker all holds instead of publishing them.
        Returns those, and a future of what the broker acknowledged of what the merge sent
        (`also` first)."""
        async with self.waiting.lock:
            try:
                gathered = self.merge(parts)
                kept, sent = self._answer(gathered, events, also, owed, keep_ledgers)
                await self.waiting.flush_due()
            except BaseException:
                # Held rows may hold these parts' half-done changes (rows are changed in
                # place); the worker stops, and reads the events again after the restart.
                self.waiting.drop()
                raise
        return kept, asyncio.ensure_future(_observed(sent, gathered))

    def merge(self, parts: list[Part]) -> Gathered:
        """Merge each part into its declaration's pending row; answer the declarations now
        complete. Call with `waiting.lock` held: held rows change in place."""
        rows: dict[str, dict[str, Any]] = {}
        partitions: dict[str, int] = {}  # of the rows changed
        messages: list[Message] = []
        outcomes: list[tuple[Screened, float | None]] = []
        with_answers: set[str] = set()
        ledgers: list[dict[str, Any]] = []
        again = 0
        for item, partition, sent_at in parts:
            key = _key(item)
            if key not in rows:
                held = self.waiting.get(key)
                if held is None:
                    stored = read(self.pending, partition, key.encode())
                    held = orjson.loads(stored) if stored else {}
                rows[key] = held
            row = rows[key]
            if answered(row):  # a copy gets the first answer; its features are dropped
                if item["t"] == "declaration" or _answering_again(row, item):
                    recalled = recall(row)
                    messages += published(self.outputs, recalled) + self.notes(recalled)
                    # The crash that may have stopped the answer stopped these too (ledgers
                    # record an alert once).
                    ledgers += _ledger_alerts(key, row.get("ledgers"))
                    again += item["t"] == "declaration"
                continue
            partitions[key] = partition
            # Parts are kept whatever their order: after a crash, replayed features can come
            # before the replayed declaration. The first features of an entity win: a
            # redelivered entity event sees the history after itself.
            if item["t"] == "declaration":
                row["copies"] = row.get("copies", 0) + 1  # one assessment per copy
                fields = ("raw", "origin", "declaration", "expected", "trace_id", "timestamp")
                row.update({k: item[k] for k in fields if k in item})
                row["screened_at"] = sent_at  # when the previous agent sent it
            else:
                found = row.setdefault("features", {})
                for entity, features in item["features"].items():
                    found.setdefault(entity, features)
                if item.get("unordered"):
                    row["unordered"] = True
                row["featured_at"] = max(row.get("featured_at") or 0, sent_at or 0)
            if "expected" not in row or set(row["expected"]) - set(row.get("features", {})):
                continue
            screened = self._screen(key, row)
            _observe_stages(row)
            messages += published(self.outputs, screened.outgoing * row["copies"])
            messages += self.notes(screened.outgoing)
            outcomes.append((screened, row["timestamp"]))  # assessed once, however many copies
            again += row["copies"] - 1
            alerted = None
            if screened.alert is not None:
                alerted = [int(screened.alert.declared_at.timestamp()), row["expected"]]
                ledgers += _ledger_alerts(key, alerted)
            answering = row.get("unordered") and item["t"] == "features" and item.get("source")
            if row.get("unordered"):
                with_answers.add(key)
            rows[key] = remember(screened.outgoing, time.time())
            if answering:
                rows[key]["answered_by"] = answering
            if alerted:
                rows[key]["ledgers"] = alerted
            self.answer_times.note(key, partition, rows[key])
        return Gathered(
            messages,
            ledgers,
            {k: (p, rows[k]) for k, p in partitions.items()},
            outcomes,
            with_answers,
            again,
        )

    def _screen(self, key: str, row: dict[str, Any]) -> Screened:
        """A complete row's verdict; its dead letter (`processing-error`, the original bytes)
        if screening fails: a defect of screener's, which would otherwise stop the worker at
        this declaration again after every restart."""
        try:
            kept = self.parsed.pop(key, None)  # parsed from these bytes, not a copy's
            declaration = kept[1] if kept and kept[0] == row.get("raw") else _declaration_of(row)
            policy = self.book.for_time(declaration.declared_at)
            snapshot = HistorySnapshot.of(row["features"].values())
            assessment = assess(declaration, policy, snapshot, trace_id=row["trace_id"])
            return verdict(assessment, policy, declaration, row["expected"])
        except Exception as exc:
            if "raw" not in row:  # sent before the original bytes travelled with it
                raise
            log.exception("assessing %s failed: set aside as a dead letter", key)
            dead = failed(incoming_from(row["origin"], row["raw"].encode("latin-1")), exc)
            limit = self.dead_letter_limit
            return replace(dead, outgoing=[fitted(o, limit) for o in dead.outgoing])

    def _answer(
        self,
        gathered: Gathered,
        events: Sequence[faust.EventT],
        also: Sequence[Message] = (),
        owed: bool = False,
        keep_ledgers: bool = False,
    ) -> tuple[list[dict[str, Any]], asyncio.Future[list[Any]] | None]:
        """Publish what gathering caused (and `also`), and hold the rows it changed to be
        written after it: a row answered but not yet published would be lost with a crash
        in between (its declaration is not read again, only the parts after the last
        commit); the other way round it is only published twice. `events` are acknowledged
        once the held rows are written. Returns the ledgers' alerts kept, and the publish on
        its way.

        A declaration with features of a history applied in-process (`with_answers`) is
        written with its answer, in the same round trip, not behind it: that history has no
        topic to replay it in the same order after a crash, and in another order it could
        give a declaration already answered another answer. Its row goes first: with the row
        written, a replay of whichever part answered it gets the first answer again
        (`recall`), and sends it if the crash came before it was out: the declaration, or
        the features item that answered it (`_answering_again`).

        The alerts for the entities' ledgers go to the entity topic with the answer, or,
        with `keep_ledgers`, a declaration's are returned when this worker holds all its
        ledgers (`ledgers_here`): the caller applies them once the pending lock is released
        (`History.ledgers`), and holds its events till their rows are written. A replayed
        declaration sends them again with its recalled answer."""
        # All of a declaration's or none: with a ledger elsewhere (two workers, most
        # declarations) the topic carries them anyway, and screen need not wait for the
        # history agent's lock
        elsewhere = {
            a["declaration_id"]
            for a in gathered.ledgers
            if not (keep_ledgers and self.ledgers_here(a["key"]))
        }
        kept: list[dict[str, Any]] = []
        to_entities = Outbox(self.settings.internal_partitions)
        for alert in gathered.ledgers:
            if alert["declaration_id"] not in elsewhere:
                kept.append(alert)
            else:
                to_entities.add(alert["key"], alert)
        messages = [*also, *gathered.messages, *hop(self.entity_topic, to_entities)]
        now = {k: gathered.rows[k] for k in gathered.with_answers}
        sent = self.waiting.send_with(messages, now) if messages or now else None
        rest = {k: r for k, r in gathered.rows.items() if k not in now}
        self.waiting.hold(events, rest, owed, after=sent)
        return kept, sent

    # --- partitions and old answers --------------------------------------------------

    def _attach(self, app: faust.App) -> None:
        self.waiting.attach(app)
        gather_topic = self.gather_topic.get_topic_name()
        retention = self.settings.answer_retention_s

        @app.on_partitions_assigned.connect
        async def on_assigned(app: faust.App, assigned: Any, **kwargs: Any) -> None:
            self.held_here.clear()
            if self.settings.gather_in_process:
                self.held_here.update(tp.partition for tp in assigned if tp.topic == gather_topic)
            self.answer_times.stale = True

        @app.on_partitions_revoked.connect
        async def on_revoked(app: faust.App, revoked: Any, **kwargs: Any) -> None:
            self.held_here.clear()
            self.parsed.clear()

        @app.timer(max(5.0, retention / 10))
        async def forget_old_answers() -> None:
            """Delete the answers older than the retention, of the gather partitions held
            here."""
            if self.answer_times.stale:  # after an assignment: read every row once
                self.answer_times.stale = False
                for n, (key, value) in enumerate(self.pending.items()):
                    partition = partition_of(key.decode(), self.settings.internal_partitions)
                    self.answer_times.note(key.decode(), partition, orjson.loads(value))
                    if n % READ_CHUNK == READ_CHUNK - 1:
                        await asyncio.sleep(READ_PAUSE_S)
            ours = {
                tp.partition for tp in app.assignor.assigned_actives() if tp.topic == gather_topic
            }
            old = self.answer_times.expired(time.time() - retention, ours)
            waiting = self.waiting
            async with waiting.lock:
                # A row held since it was answered is newer than the answer: it stays.
                waiting.hold((), {k: (p, None) for k, p in old.items() if k not in waiting.rows})
