"""The faust app: screen declarations against the history of everything they touch.

Three agents, each committing its input only after what it caused is published (two more
take analysts' dispositions of alerts back to the entities' ledgers: `dispositions.py`):

  screen   declarations -> dead letter, or one entity event per entity (scatter) plus the
           declaration itself to gather
  history  entity events -> features of the entity *before* the declaration, then the
           declaration is applied (once) to the entity's row in the `history` table
           (`history.py`). The events for the entity partitions held here are applied
           by screen itself; the others take the entity topic and its agent.
  gather   declaration + all its features -> assess -> assessment (+ alert); alerts go back
           to the entities' ledgers (`gather.py`). Parts for the gather partitions held
           here are merged by the agent that made them; only the others take the gather
           topic and its agent. Screen records the alerts of its declarations on the
           ledgers held here itself; the others take the entity topic.

Entity events go to the partition of their entity, so every declaration touching an entity
reaches the one partition (and worker) that owns its row, whichever input partition it came
in on; declarations and features go to the partition of the declaration. What a batch sends
to one partition travels together in a few records (`hops.py`).
Input is read raw and validated in our code, so a bad message becomes a dead letter instead
of an exception inside faust.

Each agent takes its input in batches (up to `batch_size` records, or what came within
`batch_wait_ms`), handles them in order, publishes everything the batch caused at once and
waits for the broker to acknowledge all of it. The table rows it changed (history, pending)
are held and written behind, a few times a second, once what the batch published is
acknowledged, and only after that is the batch acked to faust (`write_behind.py`), so an
offset never commits ahead of what it caused or of the rows it changed. The tables' locks are
held while a batch changes rows, not while the broker answers. Agent concurrency stays 1:
with more, faust can commit past a message still in flight. A batch that raises stops the
worker, uncommitted (`batches.py`); a valid declaration screen or gather fails on becomes a
dead letter (`processing-error`).
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

import faust
from faust.sensors.prometheus import setup_prometheus_sensors

from screener.core.history import scatter
from screener.core.policy import PolicyBook
from screener.models import Declaration
from screener.observability import metrics
from screener.settings import Settings
from screener.stream import faust_fixes
from screener.stream.answers import answer_key
from screener.stream.batches import each_batch, incoming
from screener.stream.connection import kafka_of
from screener.stream.dispositions import DISPOSITIONS_BATCH_WAIT_S, Dispositions
from screener.stream.dispositions import PARTITIONS as DISPOSITIONS_PARTITIONS
from screener.stream.envelopes import (
    Incoming,
    Output,
    Screened,
    accept,
    failed,
    fitted,
    origin_of,
    trace_id_of,
)
from screener.stream.gather import Gather
from screener.stream.history import History, Update
from screener.stream.hops import Outbox
from screener.stream.reference import follow_reference_topic, record_versions, watch_policy_file
from screener.stream.sending import Message, hop, observe_outcome, published, publisher
from screener.stream.state_metrics import watch_state
from screener.stream.topics import LARGEST_RECORD, dispositions_hop_topic, internal_topics

log = logging.getLogger(__name__)

Item = dict[str, Any]  # one item of a hop (`hops.py`)


def create_app(
    settings: Settings, book: PolicyBook, dead_letter_limit: int = LARGEST_RECORD
) -> faust.App:
    """`dead_letter_limit`: the largest record the dead-letter topic takes (`fitted`)."""
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",")],
        broker_credentials=kafka_of(settings).credentials,
        # Every topic the worker uses is made before faust starts (worker.py, topics.py), with
        # the cluster's replicas; faust would ask to create each again, which a cluster that
        # grants screener only the use of its topics refuses.
        topic_allow_declare=False,
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
        producer_max_request_size=LARGEST_RECORD,
        topic_partitions=settings.internal_partitions,
        table_standby_replicas=settings.standby_replicas,
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
    dispositions_hop = app.topic(
        dispositions_hop_topic(settings), internal=True, partitions=DISPOSITIONS_PARTITIONS, **raw
    )
    outputs = {
        Output.ASSESSMENTS: app.topic(settings.assessments_topic, **raw),
        Output.ALERTS: app.topic(settings.alerts_topic, **raw),
        Output.DEAD_LETTERS: app.topic(settings.dead_letter_topic, **raw),
        Output.DISPOSITION_DEAD_LETTERS: app.topic(settings.dispositions_dead_letter_topic, **raw),
    }
    table_args = {
        "partitions": settings.internal_partitions,
        "key_type": bytes,
        "value_type": bytes,
    }
    history = app.Table("history", **table_args)
    pending = app.Table("pending", **table_args)
    alerted = app.Table("alerted", **(table_args | {"partitions": DISPOSITIONS_PARTITIONS}))

    record_versions(book)
    watch_policy_file(app, settings.policy_file, book, settings.policy_reload_interval)
    follow_reference_topic(app, settings, book)

    within = settings.batch_wait_ms / 1000

    def batches(stream: faust.StreamT):
        return stream.take_events(settings.batch_size, within)

    publish = publisher(app)

    def outbox() -> Outbox:
        return Outbox(settings.internal_partitions)

    # Pending rows and answers; the history agent hands it features too (gather.py).
    gather = Gather(
        app,
        settings,
        book,
        pending,
        publish,
        entity_topic,
        gather_topic,
        outputs,
        dead_letter_limit,
    )

    # History rows, held between flushes, the busiest kept decoded (history.py). Features
    # merged in-process are published nowhere else: their pending rows are written first.
    # Screen applies the entity events for the entity partitions held here itself
    # (`History.split`).
    history_rows = History(app, settings, history, publish, entity_topic)
    history_rows.behind.writes_after(gather.waiting)
    gather.ledgers_here = history_rows.holds

    def scattered(declaration: Declaration, record: Incoming) -> tuple[Item, list[Update]]:
        """What screen sends on for a declaration: the item for gather, and each entity
        event with where the declaration came in."""
        entity_events = scatter(declaration, book.for_time(declaration.declared_at))
        # A copy (the same bytes) gets the answer given; an amendment is screened anew.
        answer = answer_key(declaration.declaration_id, record.value)
        declaration_item = {
            "t": "declaration",
            "declaration_id": declaration.declaration_id,
            "answer": answer,
            # The original bytes (as latin-1 text): parsed again in gather, and the value of
            # its dead letter should assessing it fail.
            "raw": record.value.decode("latin-1"),
            "origin": origin_of(record),
            "expected": sorted({e.key for e in entity_events}),
            "trace_id": trace_id_of(record.headers),
            "timestamp": record.timestamp,
        }
        # Where it came in: a replay of the declaration comes with the same place.
        source = (record.partition, record.offset)
        return declaration_item, [(e, source, answer) for e in entity_events]

    def to_entity_topic(updates: list[Update]) -> list[Message]:
        to_entities = outbox()
        for e, source, answer in updates:
            item = {"t": "event", "event": e.to_dict(), "source": list(source), "answer": answer}
            to_entities.add(e.key, item)
        return hop(entity_topic, to_entities)

    @app.agent(source, name="screen", concurrency=1)
    async def screen(stream: faust.StreamT) -> None:
        await each_batch(batches(stream), "screen", screen_batch)

    async def screen_batch(events: list[faust.EventT]) -> None:
        """One batch of declarations: dead letters out, and each valid declaration on to
        gather and to the history of every entity it touches (`scattered`). The batch is
        acknowledged once gather has the declarations (published to the gather topic, or
        merged here and their pending rows written: `Gather.declarations`) and history
        their entity events (published to the entity topic, or applied here and their rows
        written: `History.here`)."""
        messages: list[Message] = []
        outcomes: list[tuple[Screened, float | None]] = []
        to_gather: list[Item] = []
        parsed: list[Declaration] = []  # of the items, assessed as they are if merged here
        scattered_events: list[Update] = []  # of the valid declarations
        history_rows.open_caught_up()
        for event in events:
            record = incoming(event)
            metrics.CONSUMED.inc()
            accepted = accept(record)
            if not isinstance(accepted, Screened):
                try:
                    declaration_item, updates = scattered(accepted, record)
                except Exception as exc:
                    log.exception("screening %s failed", accepted.declaration_id)
                    accepted = failed(record, exc)
            if isinstance(accepted, Screened):
                dead = [fitted(o, dead_letter_limit) for o in accepted.outgoing]
                messages += published(outputs, dead)
                outcomes.append((accepted, record.timestamp))
                continue
            to_gather.append(declaration_item)
            parsed.append(accepted)
            scattered_events += updates
        here, there = history_rows.split(scattered_events)
        features_sent = None  # features for the gather partitions held elsewhere
        if here:  # first: what it finds revoked meanwhile (a rebalance began) joins `there`
            applied_here = partial(gather.features, ordered=False)
            revoked, features_sent = await history_rows.here(here, events, applied_here)
            there += revoked
        # On their way together with the features: one round trip, not two in a row
        acknowledged, ledgers = await gather.declarations(
            to_gather, events, messages + to_entity_topic(there), parsed
        )
        if features_sent is not None:
            await features_sent
        history_rows.sent(acknowledged)
        for screened, timestamp in outcomes:  # dead letters, published
            observe_outcome(screened, timestamp)
        if ledgers:  # their alerts for the ledgers held here: recorded here too
            await history_rows.ledgers(ledgers, events)
        if here or ledgers:
            await history_rows.flush_due()

    @app.agent(entity_topic, name="history", concurrency=1)
    async def update_history(stream: faust.StreamT) -> None:
        await each_batch(
            batches(stream), "history", partial(history_rows.batch, hand_on=gather.features)
        )

    @app.agent(gather_topic, name="gather", concurrency=1)
    async def gather_declarations(stream: faust.StreamT) -> None:
        await each_batch(batches(stream), "gather", gather.batch)

    # Analysts' dispositions of alerts, to the history of what the alerts were about
    # (`dispositions.py`): gather notes its alerts for them.
    dispositions = Dispositions(
        settings, alerted, publish, dispositions_hop, entity_topic, outputs, dead_letter_limit
    )
    gather.notes = dispositions.notes

    def slow_batches(stream: faust.StreamT):
        return stream.take_events(settings.batch_size, DISPOSITIONS_BATCH_WAIT_S)

    @app.agent(app.topic(settings.dispositions_topic, **raw), name="disposition-intake")
    async def take_dispositions(stream: faust.StreamT) -> None:
        await each_batch(slow_batches(stream), "disposition-intake", dispositions.intake)

    @app.agent(dispositions_hop, name="dispositions", concurrency=1)
    async def decide_dispositions(stream: faust.StreamT) -> None:
        await each_batch(slow_batches(stream), "dispositions", dispositions.batch)

    @app.timer(min(3600.0, max(5.0, settings.disposition_window_s / 10)))
    async def forget_old_alerts() -> None:
        await dispositions.forget_old(time.time())

    watch_state(app, {"history": history, "pending": pending, "alerted": alerted})
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
