"""What the agents send: records published straight to the producer, every acknowledgement
awaited before the batch that caused them is done."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import faust

from screener.observability import metrics
from screener.stream.batches import stop_before_commit
from screener.stream.envelopes import Outgoing, Output, Screened
from screener.stream.hops import Outbox

# topic, partition (None: by key), key, value, headers
Message = tuple[faust.TopicT, int | None, bytes | None, bytes | None, list]
Publish = Callable[[Sequence[Message]], Awaitable[list[Any]]]


def publisher(app: faust.App) -> Publish:
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
            stop_before_commit("delivery failed")

    return publish


def hop(topic: faust.TopicT, box: Outbox) -> list[Message]:
    """An outbox's records for an internal topic, each to its partition."""
    return [(topic, partition, None, value, []) for partition, value in box.messages()]


def published(outputs: Mapping[Output, faust.TopicT], outgoing: list[Outgoing]) -> list[Message]:
    """Assessments, alerts and dead letters as records of their output topics."""
    return [(outputs[o.output], None, o.key, o.value, o.headers) for o in outgoing]


def observe_outcome(screened: Screened, kafka_timestamp: float | None) -> None:
    """The metrics of a published outcome."""
    if screened.rejection is not None:
        metrics.DEAD_LETTERED.labels(reason=screened.rejection.code.value).inc()
        return
    assessment = screened.assessment
    metrics.ASSESSED.inc()
    metrics.SCORE.observe(assessment.score)
    for hit in assessment.indicators:
        metrics.labelled(metrics.INDICATOR_HITS, hit.code).inc()
    if screened.alert is not None:
        metrics.labelled(metrics.ALERTS, screened.alert.severity.value).inc()
    if kafka_timestamp:
        metrics.LATENCY.observe(max(0.0, time.time() - kafka_timestamp))
