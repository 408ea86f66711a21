"""The faust app: consume declarations, screen each, publish, then let the offset commit.

The only module that knows faust. Input is read raw and validated in our code, so a bad
message becomes a dead letter instead of an exception inside faust (which acks and then
raises on decode errors). Agent concurrency stays 1: with more, faust can commit past a
message still in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

import faust
from faust.sensors.prometheus import setup_prometheus_sensors

from screener.core.policy import Policy
from screener.observability import metrics
from screener.settings import Settings
from screener.stream.envelopes import Incoming, Output, Screened, screen_record

log = logging.getLogger(__name__)


def _headers(raw: object) -> list[tuple[str, bytes]]:
    if not raw:
        return []
    items = raw.items() if isinstance(raw, Mapping) else raw
    return [(str(k), v if isinstance(v, bytes) else str(v).encode()) for k, v in items]


def _record(event: faust.types.EventT) -> Incoming:
    m = event.message
    return Incoming(
        topic=m.topic,
        partition=m.partition,
        offset=m.offset,
        key=m.key,
        value=m.value,
        headers=_headers(m.headers),
        timestamp=m.timestamp,
    )


def _observe(screened: Screened, kafka_timestamp: float | None) -> None:
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


def create_app(settings: Settings, policy: Policy) -> faust.App:
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",")],
        key_serializer="raw",
        value_serializer="raw",
        datadir=str(settings.data_dir),
        web_enabled=True,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        broker_session_timeout=settings.broker_session_timeout,
        broker_heartbeat_interval=settings.broker_heartbeat_interval,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        topic_allow_declare=False,
    )
    source = app.topic(settings.declarations_topic, key_serializer="raw", value_serializer="raw")
    outputs = {
        Output.ASSESSMENTS: app.topic(settings.assessments_topic),
        Output.ALERTS: app.topic(settings.alerts_topic),
        Output.DEAD_LETTERS: app.topic(settings.dead_letter_topic),
    }
    metrics.POLICY.info({"version": policy.version, "source": policy.source})
    metrics.POLICY_LOADED_AT.set_to_current_time()
    metrics.SCREENING_LIST_ENTRIES.set(policy.screening.size)

    @app.agent(source, name="screen-declarations", concurrency=1)
    async def screen_declarations(stream: faust.StreamT) -> None:
        async for event in stream.events():
            started = time.perf_counter()
            record = _record(event)
            metrics.CONSUMED.inc()
            screened = screen_record(record, policy)
            # force=True publishes now instead of at commit time; awaiting every delivery
            # before taking the next event means the offset never commits ahead of them.
            deliveries = [
                await outputs[o.output].send(
                    key=o.key, value=o.value, headers=o.headers, force=True
                )
                for o in screened.outgoing
            ]
            await asyncio.gather(*deliveries)
            _observe(screened, record.timestamp)
            metrics.PROCESSING.observe(time.perf_counter() - started)

    setup_prometheus_sensors(app, name_prefix="faust")

    @app.page("/health")
    async def health(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        assigned = sorted(
            f"{tp.topic}:{tp.partition}"
            for tp in app.consumer.assignment()
            if tp.topic == settings.declarations_topic
        )
        ok = bool(assigned) and not app.rebalancing
        body = {
            "status": "ok" if ok else "unavailable",
            "policy_version": policy.version,
            "assigned_partitions": assigned,
            "rebalancing": app.rebalancing,
        }
        return web.json(body, status=200 if ok else 503)

    return app
