"""History: each entity event gets the features of its entity as they were before the
declaration, then the declaration is applied, once, to the entity's row in the `history`
table (`core/history/state.py`).

A batch reads and writes a row once however many of its events hit it. Changed rows are held
decoded and written behind (`write_behind.py`), and the busiest stay decoded after a flush
(`SCREENER_ROW_CACHE_SIZE`): without that, a long-running worker decoded 4.8 rows per
declaration, 1.1 with 2,000 kept. The cache is kept small, since full garbage collections
visit every object of every decoded row, and emptied at every rebalance, since another worker
may change a row once its partition moves.

Screen applies the entity events for the entity partitions this worker holds itself
(`here`), and the alerts of its declarations for the ledgers held here (`ledgers`); the
others take the entity topic. One worker alone skips the topic: a hop less,
and no record for the broker and the history agent. A partition takes screen's
events only once the history agent has applied every record of it written before, at the
assignment or sent by screen since (`split`, `open_caught_up`): one input partition's
declarations must reach a row in the order they came in.
What the topic gave, an order a crash cannot change, gather makes up for: the declaration's
pending row goes out with its answer (`Gather.features`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import faust
from cachetools import LRUCache

from screener.core.history import EntityEvent
from screener.core.history.state import EntityRow, RowBatch, Source, encode_row
from screener.observability import metrics
from screener.settings import Settings
from screener.stream.answers import declaration_of
from screener.stream.hops import Outbox, items_of, partition_of
from screener.stream.sending import Publish, hop
from screener.stream.table_writes import read
from screener.stream.write_behind import WriteBehind

log = logging.getLogger(__name__)

# What history hands on: the features items of a batch (one per declaration), and the
# declarations whose features include a redelivery (`Gather.features`). Returns once they are
# merged or sent, with what it sent on its way (None: nothing).
HandOn = Callable[[list[dict[str, Any]], set[str]], Awaitable[asyncio.Future[Any] | None]]
# An entity event, where its declaration came in (`EntityRow.update`), and the key of the
# declaration's answer in gather (`answers.answer_key`: an amendment has its own)
Update = tuple[EntityEvent, Source | None, str]
# What a batch applies: an update, or an alert or disposition item for an entity's ledger;
# and the entity's partition
Change = tuple[Update | dict[str, Any], int]


async def _hand_on_nothing(items: list[dict[str, Any]], redelivered: set[str]) -> None:
    """Alerts give no features."""


async def _acknowledged(sent: asyncio.Future[Any] | None) -> None:
    """Wait for what a batch sent, with the lock let go."""
    if sent is not None:
        await sent


class History:
    """The history table, its rows held between flushes, and the busiest kept decoded."""

    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        table: faust.Table,
        publish: Publish,
        entity_topic: faust.TopicT,
    ) -> None:
        self.settings = settings
        self.table = table
        self.publish = publish
        self.entity_topic = entity_topic
        self.held_here: set[int] = set()  # entity partitions whose events apply in-process
        # Since the assignment, for each entity partition: its end offset then (until it is
        # held_here), the offset after the last record applied here, and after the last
        # record screen sent there (`open_caught_up`)
        self._catching_up: dict[int, int] = {}
        self._applied: dict[int, int] = {}
        self._sent: dict[int, int] = {}
        self.behind = WriteBehind(table, encode_row, publish, settings.row_flush_ms / 1000)
        self.cache: LRUCache[str, EntityRow] | None = (
            LRUCache(settings.row_cache_size) if settings.row_cache_size else None
        )
        self._attach(app)

    async def batch(self, events: Sequence[faust.EventT], hand_on: HandOn) -> None:
        """One batch of the entity topic: entity events, and alerts and their dispositions
        for the entities' ledgers."""
        changes: list[Change] = []
        for event in events:
            partition = event.message.partition
            for item in items_of(event.message.value):
                if item["t"] in ("alert", "disposition"):  # for the entity's ledger
                    changes.append((item, partition))
                else:
                    source = item.get("source")
                    entity_event = EntityEvent.from_dict(item["event"])
                    answer = item.get("answer") or entity_event.declaration_id
                    update = (entity_event, tuple(source) if source else None, answer)
                    changes.append((update, partition))
        async with self.behind.lock:
            sent = await self._apply_locked(changes, events, hand_on)
            for event in events:
                self._applied[event.message.partition] = event.message.offset + 1
            await self.behind.flush_due()
        await _acknowledged(sent)

    async def here(
        self, updates: list[Update], events: Sequence[faust.EventT], hand_on: HandOn
    ) -> tuple[list[Update], asyncio.Future[Any] | None]:
        """Entity events made by screen in this worker, for the entity partitions held here:
        applied at once, with no record of the entity topic. Screen's `events` are
        acknowledged once the rows are written, and a row is written after the pending rows
        that took its features in-process, as for a batch of the topic. Returns the updates
        whose partition is no longer held here (a rebalance began), which take the topic,
        and what the features handed on sent, on its way: screen waits for it with its own
        publish (None: nothing sent).

        Screen flushes what is due once its declarations are merged too (`flush_due`): a
        flush now would first write every pending row these features went to, and their
        declarations would answer and write them again a moment later."""
        sent = None
        async with self.behind.lock:
            partitions = self.settings.internal_partitions
            changes: list[Change] = []
            elsewhere: list[Update] = []
            for update in updates:
                partition = partition_of(update[0].key, partitions)
                if partition in self.held_here:
                    changes.append((update, partition))
                else:
                    elsewhere.append(update)
            if changes:
                sent = await self._apply_locked(changes, events, hand_on)
        return elsewhere, sent

    async def _apply_locked(
        self, changes: list[Change], events: Sequence[faust.EventT], hand_on: HandOn
    ) -> asyncio.Future[Any] | None:
        """Features found are handed on to gather, then the rows changed are held with
        `events`, to be written once what gather sent of them is acknowledged. Returns
        that, on its way: wait for it with the lock let go. Call with `behind.lock`
        held."""
        rows = RowBatch(self._load, self.behind.get, self.cache)
        partition_of_row: dict[str, int] = {}  # a row is written in its partition
        found: dict[str, dict[str, Any]] = {}  # answer key -> entity key -> features
        sources: dict[str, Source] = {}  # answer key -> where its declaration came in
        redelivered: set[str] = set()  # answer keys with features of a redelivery
        try:
            for change, partition in changes:
                if isinstance(change, dict):  # for the ledger: an alert or its disposition
                    key, declaration_id = change["key"], change["declaration_id"]
                    if change["t"] == "alert":
                        rows.record_alert(key, declaration_id, change["declared_at"])
                    else:
                        rows.record_disposition(
                            key, declaration_id, change["verdict"], change["declared_at"]
                        )
                else:
                    entity_event, source, answer = change
                    key = entity_event.key
                    # A copy or amendment of a declaration applied before is not applied
                    # again: a row knows the declaration id (`EntityRow.update`)
                    features, why = rows.update(entity_event, source)
                    if why is not None:
                        redelivered.add(answer)
                    parts = found.setdefault(answer, {})
                    parts.setdefault(key, features)  # first of a redelivery wins
                    if source is not None:
                        sources[answer] = source
                partition_of_row[key] = partition
            touched = rows.touched()
            for why, n in rows.redeliveries.items():
                metrics.REDELIVERED.labels(recognised_as=why).inc(n)
        except BaseException:
            # The held and cached rows may hold changes of a batch that did not finish;
            # the worker stops, and reads the events again after the restart.
            self._forget_rows()
            self.behind.drop()
            raise
        # One item per declaration: all the features this batch found for it, and where the
        # declaration came in (a copy came in elsewhere: `Gather.merge`).
        items = [
            {
                "t": "features",
                "declaration_id": declaration_of(answer),
                "answer": answer,
                "features": parts,
            }
            for answer, parts in found.items()
        ]
        for item in items:
            if (source := sources.get(item["answer"])) is not None:
                item["source"] = list(source)
        sent = await hand_on(items, redelivered)
        rows = {k: (partition_of_row[k], row) for k, row in touched.items()}
        self.behind.hold(events, rows, after=sent)
        return sent

    def holds(self, entity: str) -> bool:
        """Whether screen's changes to this entity's row are applied here (`here`)."""
        return partition_of(entity, self.settings.internal_partitions) in self.held_here

    async def ledgers(self, alerts: list[dict[str, Any]], events: Sequence[faust.EventT]) -> None:
        """Alerts for the entities' ledgers from screen's batch (`Gather.declarations`):
        recorded here for the partitions held here, held with screen's `events` until their
        rows are written; published to the entity topic for the others (a rebalance began).
        A ledger records an alert once, in any order: a replay that sends it again, or the
        topic bringing it too, changes nothing."""
        async with self.behind.lock:
            changes: list[Change] = []
            to_entities = Outbox(self.settings.internal_partitions)
            for alert in alerts:
                partition = partition_of(alert["key"], self.settings.internal_partitions)
                if partition in self.held_here:
                    changes.append((alert, partition))
                else:
                    to_entities.add(alert["key"], alert)
            if changes:
                await self._apply_locked(changes, events, _hand_on_nothing)
        if elsewhere := hop(self.entity_topic, to_entities):
            self.sent(await self.publish(elsewhere))

    async def flush_due(self) -> None:
        """Write the rows held longest, if a flush is due (`WriteBehind.flush_due`)."""
        async with self.behind.lock:
            await self.behind.flush_due()

    def split(self, updates: Sequence[Update]) -> tuple[list[Update], list[Update]]:
        """A screen batch's entity events: those of the entity partitions held here, to apply
        here (`here`), and the others, for the topic. A declaration with an entity held
        elsewhere waits for that round trip, but the rest of it skips the topic: with two
        workers nearly every declaration has both. No event goes to the topic for a
        partition held here, so none there can be overtaken by a later one applied here
        (`open_caught_up`)."""
        here: list[Update] = []
        there: list[Update] = []
        partitions = self.settings.internal_partitions
        for update in updates:
            held = partition_of(update[0].key, partitions) in self.held_here
            (here if held else there).append(update)
        return here, there

    def catch_up(self, ends: dict[int, int]) -> None:
        """The entity partitions just assigned, with their end offsets: they open to screen's
        events once the history agent has reached those (`open_caught_up`)."""
        self._catching_up = dict(ends)

    def sent(self, acknowledged: Sequence[Any]) -> None:
        """Screen's records of the entity topic (record metadata): the history agent must
        apply them too before their partition opens."""
        topic = self.entity_topic.get_topic_name()
        for record in acknowledged:
            if record.topic == topic:
                sent = self._sent.get(record.partition, 0)
                self._sent[record.partition] = max(sent, record.offset + 1)

    def open_caught_up(self) -> None:
        """Entity partitions held here take screen's events in-process once the history
        agent has applied every record of theirs written before: those there at the
        assignment, and those screen sent since (`sent`). Before that, a declaration applied
        in-process could reach a row ahead of an earlier one of its input partition still
        waiting in the topic, and the earlier one would be taken for a replay
        (`EntityRow.update`). Only screen calls this, after `sent` for its last batch."""
        for partition, end in list(self._catching_up.items()):
            if self._applied.get(partition, 0) >= max(end, self._sent.get(partition, 0)):
                del self._catching_up[partition]
                self.held_here.add(partition)

    def _load(self, key: str) -> bytes | None:
        return read(self.table, partition_of(key, self.settings.internal_partitions), key.encode())

    def _forget_rows(self) -> None:
        if self.cache is not None:
            self.cache.clear()

    def _attach(self, app: faust.App) -> None:
        self.behind.attach(app)

        entity_topic = self.entity_topic.get_topic_name()

        @app.on_partitions_revoked.connect
        async def on_revoked(app: faust.App, revoked: Any, **kwargs: Any) -> None:
            self.held_here.clear()
            self._catching_up.clear()
            self._forget_rows()

        @app.on_partitions_assigned.connect
        async def on_assigned(app: faust.App, assigned: Any, **kwargs: Any) -> None:
            self.held_here.clear()
            self._catching_up.clear()
            self._applied.clear()
            self._sent.clear()
            self._forget_rows()
            held = [tp for tp in assigned if tp.topic == entity_topic]
            if not (self.settings.history_in_process and held):
                return
            try:
                ends = await app.consumer.highwaters(*held)
            except Exception:  # in-process waits for the next assignment; the topic works
                log.warning("entity topic end offsets unreadable: events take the topic")
                return
            self.catch_up({tp.partition: end for tp, end in ends.items()})
