"""The faust app: screen declarations against the history of everything they touch.

Three agents, each committing its input only after what it caused is published:

  screen   declarations -> dead letter, or one entity event per entity (scatter) plus the
           declaration itself to the gather topic
  history  entity events -> features of the entity *before* the declaration, then the
           declaration is applied (once) to the entity's row in the `history` table
  gather   declaration + all its features -> assess -> assessment (+ alert); alerts go back
           to the entities' ledgers

Entity events go to the partition of their entity, so every declaration touching an entity
reaches the one partition (and worker) that owns its row, whichever input partition it came
in on; declarations and features go to the partition of the declaration. What a batch sends
to one partition travels together in a few records (`hops.py`).
Input is read raw and validated in our code, so a bad message becomes a dead letter instead
of an exception inside faust.

Each agent takes its input in batches (up to `batch_size` records, or what came within
`batch_wait_ms`), handles them in order, publishes everything the batch caused at once and
waits for the broker to acknowledge all of it. The table rows it changed (history, pending)
are then held and written behind, a few times a second, and only after that is the batch
acked to faust (`write_behind.py`), so an offset never commits ahead of what it caused or of
the rows it changed. Agent concurrency stays 1: with more, faust can commit past a message
still in flight.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import faust
import orjson
from cachetools import LRUCache
from faust.sensors.prometheus import setup_prometheus_sensors

from screener.core.assess import assess
from screener.core.history import EntityEvent, HistorySnapshot, scatter
from screener.core.history.state import RowBatch, encode_row
from screener.core.policy import PolicyBook
from screener.models import Declaration
from screener.observability import metrics
from screener.settings import Settings
from screener.stream import faust_fixes
from screener.stream.answers import AnswerTimes, answered, recall, remember
from screener.stream.batches import handling
from screener.stream.envelopes import (
    Incoming,
    Outgoing,
    Output,
    Screened,
    accept,
    trace_id_of,
    verdict,
)
from screener.stream.hops import Outbox, items_of, partition_of
from screener.stream.reference import follow_reference_topic, record_versions, watch_policy_file
from screener.stream.state_metrics import watch_state
from screener.stream.topics import internal_topics
from screener.stream.write_behind import WriteBehind

log = logging.getLogger(__name__)

EXIT_DELIVERY_FAILED = 70  # EX_SOFTWARE: the supervisor restarts the worker
# topic, partition (None: by key), key, value, headers
Message = tuple[faust.TopicT, int | None, bytes | None, bytes | None, list]
# What gather merges: an item, its gather partition, when it was sent, and the event that
# brought it (None: handed over in-process)
Part = tuple[dict[str, Any], int, float | None, faust.EventT | None]


def _headers(raw: object) -> list[tuple[str, bytes]]:
    if not raw:
        return []
    items = raw.items() if isinstance(raw, Mapping) else raw
    return [(str(k), v if isinstance(v, bytes) else str(v).encode()) for k, v in items]


def _record(event: faust.types.EventT) -> Incoming:
    m = event.message
    return Incoming(
        m.topic, m.partition, m.offset, m.key, m.value, _headers(m.headers), m.timestamp
    )


def _observe_outcome(screened: Screened, kafka_timestamp: float | None) -> None:
    if screened.rejection is not None:
        metrics.DEAD_LETTERED.labels(reason=screened.rejection.code.value).inc()
        return
    assessment = screened.assessment
    metrics.ASSESSED.inc()
    metrics.SCORE.observe(assessment.score)
    for hit in assessment.indicators:
        metrics.INDICATOR_HITS.labels(code=hit.code).inc()
    if screened.alert is not None:
        metrics.ALERTS.labels(severity=screened.alert.severity.value).inc()
    if kafka_timestamp:
        metrics.LATENCY.observe(max(0.0, time.time() - kafka_timestamp))


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
        metrics.STAGE_LATENCY.labels(stage=stage).observe(max(0.0, seconds))


@dataclass
class Gathered:
    """What merging a batch of parts into pending rows caused."""

    messages: list[Message]  # answers (and recalled answers) and alerts for the ledgers
    rows: dict[str, tuple[int, dict[str, Any]]]  # changed rows: key -> (partition, row)
    outcomes: list[tuple[Screened, float | None]]  # for the metrics, once published


def _encode_pending(row: dict[str, Any] | None) -> bytes | None:
    return None if row is None else orjson.dumps(row)


def create_app(settings: Settings, book: PolicyBook) -> faust.App:
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",")],
        key_serializer="raw",
        value_serializer="raw",
        datadir=str(settings.data_dir),
        store=settings.store,
        web_enabled=True,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        broker_session_timeout=settings.broker_session_timeout,
        broker_heartbeat_interval=settings.broker_heartbeat_interval,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=settings.commit_interval_s,
        producer_acks=-1,
        # A batch's changelog rows for one partition (up to a few MB) go in few requests:
        # aiokafka waits for a full batch to be sent before it takes the next message.
        producer_max_batch_size=settings.producer_batch_bytes,
        producer_linger_ms=settings.producer_linger_ms,
        topic_replication_factor=1,
        topic_partitions=settings.internal_partitions,
        TableManager=faust_fixes.TableManager,
    )
    faust_fixes.apply(
        app,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        fetch_min_bytes=settings.fetch_min_bytes,
    )
    entity_topic_name, gather_topic_name = internal_topics(settings)
    raw = {"key_serializer": "raw", "value_serializer": "raw"}
    source = app.topic(settings.declarations_topic, **raw)
    entity_topic = app.topic(
        entity_topic_name, internal=True, partitions=settings.internal_partitions, **raw
    )
    gather_topic = app.topic(
        gather_topic_name, internal=True, partitions=settings.internal_partitions, **raw
    )
    outputs = {
        Output.ASSESSMENTS: app.topic(settings.assessments_topic, **raw),
        Output.ALERTS: app.topic(settings.alerts_topic, **raw),
        Output.DEAD_LETTERS: app.topic(settings.dead_letter_topic, **raw),
    }
    table_args = {
        "partitions": settings.internal_partitions,
        "key_type": bytes,
        "value_type": bytes,
    }
    history = app.Table("history", **table_args)
    pending = app.Table("pending", **table_args)

    record_versions(book)
    watch_policy_file(app, settings.policy_file, book, settings.policy_reload_interval)
    follow_reference_topic(app, settings, book)

    within = settings.batch_wait_ms / 1000

    def batches(stream: faust.StreamT):
        return stream.take_events(settings.batch_size, within)

    async def publish(messages: Sequence[Message]) -> list[Any]:
        """Send now, not at commit time, and wait for every acknowledgement. Straight to the
        producer: faust's `Topic.send` costs 0.2 ms a message, more than the rest of a hop.
        A delivery that fails after the producer's retries stops the worker at once, before
        faust can commit the batch: it is read again after the restart."""
        send = app.producer.send
        try:
            deliveries = [
                await send(topic.get_topic_name(), key, value, partition, None, headers)
                for topic, partition, key, value, headers in messages
            ]
            return await asyncio.gather(*deliveries)
        except Exception:
            log.critical("delivery failed; stopping before the batch is committed", exc_info=True)
            logging.shutdown()
            os._exit(EXIT_DELIVERY_FAILED)

    def outbox() -> Outbox:
        return Outbox(settings.internal_partitions)

    def hop(topic: faust.TopicT, box: Outbox) -> list[Message]:
        return [(topic, partition, None, value, []) for partition, value in box.messages()]

    def published(outgoing: list[Outgoing]) -> list[Message]:
        return [(outputs[o.output], None, o.key, o.value, o.headers) for o in outgoing]

    @app.agent(source, name="screen", concurrency=1)
    async def screen(stream: faust.StreamT) -> None:
        async for events in batches(stream):
            messages: list[Message] = []
            outcomes: list[tuple[Screened, float | None]] = []
            to_entities, to_gather = outbox(), outbox()
            for event in events:
                record = _record(event)
                metrics.CONSUMED.inc()
                accepted = accept(record)
                if isinstance(accepted, Screened):
                    messages += published(accepted.outgoing)
                    outcomes.append((accepted, record.timestamp))
                    continue
                entity_events = scatter(accepted, book.for_time(accepted.declared_at))
                to_gather.add(
                    accepted.declaration_id,
                    {
                        "t": "declaration",
                        "declaration": accepted.model_dump(mode="json"),
                        "expected": sorted({e.key for e in entity_events}),
                        "trace_id": trace_id_of(record.headers),
                        "timestamp": record.timestamp,
                    },
                )
                source = [record.partition, record.offset]  # where it came in: a replay, here too
                for e in entity_events:
                    to_entities.add(e.key, {"t": "event", "event": e.to_dict(), "source": source})
            await publish(messages + hop(entity_topic, to_entities) + hop(gather_topic, to_gather))
            for screened, timestamp in outcomes:
                _observe_outcome(screened, timestamp)

    # Rows changed since the last flush, written a few times a second (write_behind.py).
    behind = WriteBehind(history, encode_row, publish, settings.row_flush_ms / 1000)
    behind.attach(app)
    # The busiest rows (an HS6 code, a main lane) stay decoded after a flush: without this,
    # a long-running worker decoded 4.8 rows per declaration, 1.1 with 2,000 kept. Kept small:
    # full garbage collections visit every object of every decoded row. Another worker may
    # change a row once its partition moves, so the cache is emptied at every rebalance.
    row_cache: LRUCache[str, Any] | None = (
        LRUCache(settings.row_cache_size) if settings.row_cache_size else None
    )

    async def forget_rows(app: faust.App, partitions: Any, **kwargs: Any) -> None:
        if row_cache is not None:
            row_cache.clear()

    app.on_partitions_revoked.connect(forget_rows)
    app.on_partitions_assigned.connect(forget_rows)

    @app.agent(entity_topic, name="history", concurrency=1)
    async def update_history(stream: faust.StreamT) -> None:
        async for events in batches(stream):
            async with behind.lock:
                rows = RowBatch(lambda key: history.get(key.encode()), behind.get, row_cache)
                last_event: dict[str, faust.EventT] = {}  # a row is written in its partition
                found: dict[str, dict[str, Any]] = {}  # declaration -> entity key -> features
                try:
                    for event in events:
                        handling(event)
                        for item in items_of(event.message.value):
                            if item["t"] == "alert":
                                key = item["key"]
                                rows.record_alert(key, item["declaration_id"], item["declared_at"])
                            else:
                                entity_event = EntityEvent.from_dict(item["event"])
                                key = entity_event.key
                                source = item.get("source")
                                features = rows.observe(
                                    entity_event, tuple(source) if source else None
                                )
                                parts = found.setdefault(entity_event.declaration_id, {})
                                parts.setdefault(key, features)  # first of a redelivery wins
                            last_event[key] = event
                    touched = rows.touched()
                    for why, n in rows.redeliveries.items():
                        metrics.REDELIVERED.labels(recognised_as=why).inc(n)
                except BaseException:
                    # The held and cached rows may hold changes of a batch that did not
                    # finish; the worker stops, and reads the events again after the restart.
                    if row_cache is not None:
                        row_cache.clear()
                    behind.drop()
                    raise
                # One item per declaration: all the features this batch found for it.
                to_gather = outbox()
                items = [
                    {"t": "features", "declaration_id": declaration_id, "features": parts}
                    for declaration_id, parts in found.items()
                ]
                for item in items:
                    to_gather.add(item["declaration_id"], item)
                await gather_here(items, hop(gather_topic, to_gather))
                behind.hold(
                    events,
                    {k: (last_event[k].message.partition, row) for k, row in touched.items()},
                )
                if behind.due():
                    await behind.flush()

    # Pending rows likewise: most declarations are answered before the next flush, so their
    # row is written once, answered, instead of once per part.
    waiting = WriteBehind(pending, _encode_pending, publish, settings.row_flush_ms / 1000)
    waiting.attach(app)
    answer_times = AnswerTimes()

    @app.agent(gather_topic, name="gather", concurrency=1)
    async def gather(stream: faust.StreamT) -> None:
        async for events in batches(stream):
            async with waiting.lock:
                try:
                    await gather_batch(events)
                except BaseException:
                    # Held rows may hold this batch's half-done changes (rows are changed in
                    # place); the worker stops, and reads the events again after the restart.
                    waiting.drop()
                    raise

    # Features for a declaration whose gather partition is held here are merged at once, as
    # well as published: the declaration is answered a hop sooner (at 250 decl/s the hop
    # from history to gather took p50 10-20 ms), and the published copy, when gather reads
    # it, finds the row answered or the features there. This runs inside the history batch,
    # whose events stay unacknowledged till after it, so a rebalance waits for it and the
    # rows it holds are flushed before the partitions go (`WriteBehind.attach`).
    gather_partitions: set[int] = set()

    @app.on_partitions_assigned.connect
    async def note_gather_partitions(app: faust.App, assigned: Any, **kwargs: Any) -> None:
        gather_partitions.clear()
        if settings.gather_in_process:
            name = gather_topic.get_topic_name()
            gather_partitions.update(tp.partition for tp in assigned if tp.topic == name)

    @app.on_partitions_revoked.connect
    async def forget_gather_partitions(app: faust.App, revoked: Any, **kwargs: Any) -> None:
        gather_partitions.clear()

    async def gather_here(items: list[dict[str, Any]], features: list[Message]) -> None:
        """Publish a history batch's features, and merge those of the gather partitions
        held here: what they answer goes out with them, in one round trip."""
        now = time.time()
        parts: list[Part] = []
        for item in items:
            partition = partition_of(item["declaration_id"], settings.internal_partitions)
            if partition in gather_partitions:
                parts.append((item, partition, now, None))
        if not parts:
            await publish(features)
            return
        async with waiting.lock:
            try:
                await answer(gather_parts(parts), (), features)
            except BaseException:
                waiting.drop()
                raise

    async def gather_batch(events: list[faust.EventT]) -> None:
        parts = [
            (item, event.message.partition, event.message.timestamp, event)
            for event in events
            for item in items_of(event.message.value)
        ]
        await answer(gather_parts(parts), events)

    async def answer(
        gathered: Gathered, events: Sequence[faust.EventT], also: Sequence[Message] = ()
    ) -> None:
        """Publish what gathering caused (and `also`), then hold the rows it changed: a row
        answered but not yet published would be lost with a crash in between (its
        declaration is not read again, only the parts after the last commit); the other way
        round it is only published twice. `events` are acknowledged once the rows are
        written."""
        await publish([*also, *gathered.messages])
        waiting.hold(events, gathered.rows)
        if waiting.due():
            await waiting.flush()
        for screened, timestamp in gathered.outcomes:
            _observe_outcome(screened, timestamp)

    def gather_parts(parts: list[Part]) -> Gathered:
        """Merge each part into its declaration's pending row; answer the declarations now
        complete. Call with `waiting.lock` held: held rows change in place."""
        rows: dict[str, dict[str, Any]] = {}
        partitions: dict[str, int] = {}  # of the rows changed
        messages: list[Message] = []
        outcomes: list[tuple[Screened, float | None]] = []
        to_entities = outbox()
        for item, partition, sent_at, event in parts:
            handling(event)
            if item["t"] == "declaration":
                key = item["declaration"]["declaration_id"]
            else:
                key = item["declaration_id"]
            if key not in rows:
                held = waiting.get(key)
                if held is None:
                    stored = pending.get(key.encode())
                    held = orjson.loads(stored) if stored else {}
                rows[key] = held
            row = rows[key]
            if answered(row):  # a copy gets the first answer; its features are dropped
                if item["t"] == "declaration":
                    messages += published(recall(row))
                continue
            partitions[key] = partition
            # Parts are kept whatever their order: after a crash, replayed features can come
            # before the replayed declaration. The first features of an entity win: a
            # redelivered entity event sees the history after itself.
            if item["t"] == "declaration":
                row["copies"] = row.get("copies", 0) + 1  # one assessment per copy
                fields = ("declaration", "expected", "trace_id", "timestamp")
                row.update({k: item[k] for k in fields})
                row["screened_at"] = sent_at  # when the previous agent sent it
            else:
                found = row.setdefault("features", {})
                for entity, features in item["features"].items():
                    found.setdefault(entity, features)
                row["featured_at"] = max(row.get("featured_at") or 0, sent_at or 0)
            if "declaration" not in row or set(row["expected"]) - set(row.get("features", {})):
                continue
            declaration = Declaration.model_validate(row["declaration"])
            policy = book.for_time(declaration.declared_at)
            snapshot = HistorySnapshot.of(row["features"].values())
            assessment = assess(declaration, policy, snapshot, trace_id=row["trace_id"])
            screened = verdict(assessment, policy)
            _observe_stages(row)
            messages += published(screened.outgoing * row["copies"])
            outcomes += [(screened, row["timestamp"])] * row["copies"]
            if screened.alert is not None:
                for entity in row["expected"]:
                    to_entities.add(
                        entity,
                        {
                            "t": "alert",
                            "key": entity,
                            "declaration_id": key,
                            "declared_at": int(declaration.declared_at.timestamp()),
                        },
                    )
            rows[key] = remember(screened.outgoing, time.time())
            answer_times.note(key, partition, rows[key])
        return Gathered(
            messages + hop(entity_topic, to_entities),
            {k: (p, rows[k]) for k, p in partitions.items()},
            outcomes,
        )

    retention = settings.answer_retention_s

    @app.on_partitions_assigned.connect
    async def reread_answer_times(app: faust.App, assigned: Any, **kwargs: Any) -> None:
        answer_times.stale = True

    @app.timer(max(5.0, retention / 10))
    async def forget_old_answers() -> None:
        """Delete the answers older than the retention, of the gather partitions held here."""
        if answer_times.stale:  # after an assignment: read every row once
            answer_times.stale = False
            for n, (key, value) in enumerate(pending.items()):
                partition = partition_of(key.decode(), settings.internal_partitions)
                answer_times.note(key.decode(), partition, orjson.loads(value))
                if n % 500 == 499:
                    await asyncio.sleep(0)  # let the agents run between chunks
        ours = {
            tp.partition
            for tp in app.assignor.assigned_actives()
            if tp.topic == gather_topic.get_topic_name()
        }
        old = answer_times.expired(time.time() - retention, ours)
        async with waiting.lock:
            # A row held since it was answered is newer than the answer: it stays.
            waiting.hold((), {k: (p, None) for k, p in old.items() if k not in waiting.rows})

    watch_state(app, {"history": history, "pending": pending})
    setup_prometheus_sensors(app, name_prefix="faust")

    @app.page("/health")
    async def health(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        assigned = sorted(
            f"{tp.topic}:{tp.partition}"
            for tp in app.consumer.assignment()
            if tp.topic == settings.declarations_topic
        )
        ok = bool(assigned) and not app.rebalancing and not app.in_recovery
        body = {
            "status": "ok" if ok else "unavailable",
            "policy_versions": {
                p.version: p.document.effective_from.isoformat() for p in book.policies
            },
            "assigned_partitions": assigned,
            "rebalancing": app.rebalancing,
            "recovering": app.in_recovery,
        }
        return web.json(body, status=200 if ok else 503)

    return app
