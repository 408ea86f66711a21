"""The faust app: screen declarations against the history of everything they touch.

Three agents, each committing its input only after what it caused is published:

  screen   declarations -> dead letter, or one entity event per entity (scatter) plus the
           declaration itself to the gather topic
  history  entity events -> features of the entity *before* the declaration, then the
           declaration is applied (once) to the entity's row in the `history` table
  gather   declaration + all its features -> assess -> assessment (+ alert); alerts go back
           to the entities' ledgers

Entity events are keyed by entity, so every declaration touching an entity reaches the one
partition (and worker) that owns its row, whichever input partition it came in on.
Input is read raw and validated in our code, so a bad message becomes a dead letter instead
of an exception inside faust. Agent concurrency stays 1: with more, faust can commit past a
message still in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import faust
import orjson
from faust.sensors.prometheus import setup_prometheus_sensors

from screener.core.assess import assess
from screener.core.history import EntityEvent, HistorySnapshot, scatter
from screener.core.history.state import observe, record_alert
from screener.core.policy import PolicyBook
from screener.models import Declaration
from screener.observability import metrics
from screener.settings import Settings
from screener.stream.envelopes import (
    Incoming,
    Outgoing,
    Output,
    Screened,
    accept,
    trace_id_of,
    verdict,
)
from screener.stream.reference import follow_reference_topic, record_versions, watch_policy_file
from screener.stream.state_metrics import watch_state
from screener.stream.topics import internal_topics

log = logging.getLogger(__name__)


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
        producer_acks=-1,
        topic_replication_factor=1,
        topic_partitions=settings.internal_partitions,
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

    async def send_all(
        messages: list[tuple[faust.TopicT, bytes | None, bytes | None, list]],
    ) -> None:
        # force=True publishes now instead of at commit time; awaiting every delivery before
        # taking the next event means an offset never commits ahead of what it caused.
        deliveries = [
            await topic.send(key=key, value=value, headers=headers, force=True)
            for topic, key, value, headers in messages
        ]
        await asyncio.gather(*deliveries)

    async def publish(outgoing: list[Outgoing]) -> None:
        await send_all([(outputs[o.output], o.key, o.value, o.headers) for o in outgoing])

    @app.agent(source, name="screen", concurrency=1)
    async def screen(stream: faust.StreamT) -> None:
        async for event in stream.events():
            record = _record(event)
            metrics.CONSUMED.inc()
            accepted = accept(record)
            if isinstance(accepted, Screened):
                await publish(accepted.outgoing)
                _observe_outcome(accepted, record.timestamp)
                continue
            events = scatter(accepted, book.for_time(accepted.declared_at))
            pending_message = {
                "t": "declaration",
                "declaration": accepted.model_dump(mode="json"),
                "expected": sorted({e.key for e in events}),
                "trace_id": trace_id_of(record.headers),
                "timestamp": record.timestamp,
            }
            key = accepted.declaration_id.encode()
            await send_all(
                [(gather_topic, key, orjson.dumps(pending_message), [])]
                + [
                    (
                        entity_topic,
                        e.key.encode(),
                        orjson.dumps({"t": "event", "event": e.to_dict()}),
                        [],
                    )
                    for e in events
                ]
            )

    @app.agent(entity_topic, name="history", concurrency=1)
    async def update_history(stream: faust.StreamT) -> None:
        async for event in stream.events():
            message = orjson.loads(event.message.value)
            key = event.message.key
            if message["t"] == "alert":
                if (
                    row := record_alert(
                        history.get(key), message["declaration_id"], message["declared_at"]
                    )
                ) is not None:
                    history[key] = row
                continue
            entity_event = EntityEvent.from_dict(message["event"])
            row, features = observe(history.get(key), entity_event)
            history[key] = row
            reply = {"t": "features", "key": entity_event.key, "features": features}
            await send_all(
                [(gather_topic, entity_event.declaration_id.encode(), orjson.dumps(reply), [])]
            )

    @app.agent(gather_topic, name="gather", concurrency=1)
    async def gather(stream: faust.StreamT) -> None:
        async for event in stream.events():
            key = event.message.key
            message = orjson.loads(event.message.value)
            stored = pending.get(key)
            row: dict[str, Any] = orjson.loads(stored) if stored else {}
            # Parts are kept whatever their order: after a crash, replayed features can come
            # before the replayed declaration. Features of one entity are identical on replay.
            if message["t"] == "declaration":
                row["copies"] = row.get("copies", 0) + 1  # one assessment per record consumed
                fields = ("declaration", "expected", "trace_id", "timestamp")
                row.update({k: message[k] for k in fields})
            else:
                row.setdefault("features", {})[message["key"]] = message["features"]
            if "declaration" not in row or set(row["expected"]) - set(row.get("features", {})):
                pending[key] = orjson.dumps(row)
                continue
            declaration = Declaration.model_validate(row["declaration"])
            policy = book.for_time(declaration.declared_at)
            snapshot = HistorySnapshot.of(row["features"].values())
            assessment = assess(declaration, policy, snapshot, trace_id=row["trace_id"])
            screened = verdict(assessment, policy)
            await publish(screened.outgoing * row["copies"])
            for _ in range(row["copies"]):
                _observe_outcome(screened, row["timestamp"])
            if screened.alert is not None:
                at = int(declaration.declared_at.timestamp())
                alert = orjson.dumps(
                    {"t": "alert", "declaration_id": declaration.declaration_id, "declared_at": at}
                )
                await send_all([(entity_topic, k.encode(), alert, []) for k in row["expected"]])
            # Deleted (a tombstone in the changelog): late duplicates of its parts start a new
            # row, which completes if the declaration itself is redelivered too.
            del pending[key]

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
