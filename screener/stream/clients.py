"""Plain aiokafka clients for the edges of the pipeline: feeding declarations in and
reading what comes out (the demo, `screener simulate`, `screener tail`, the tests)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from screener.stream.connection import Kafka


@dataclass(frozen=True)
class Produced:
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


async def produce(
    kafka: Kafka | str, topic: str, messages: Iterable[Produced], rate: float | None = None
) -> int:
    """Send messages (at `rate` per second when given) and wait until all are acknowledged."""
    producer = AIOKafkaProducer(**Kafka.of(kafka).options(), acks="all", linger_ms=5)
    await producer.start()
    try:
        pending = []
        started = time.monotonic()
        for n, message in enumerate(messages):
            if rate:
                ahead = started + n / rate - time.monotonic()
                if ahead > 0:
                    await asyncio.sleep(ahead)
            pending.append(
                await producer.send(topic, message.value, key=message.key, headers=message.headers)
            )
        await asyncio.gather(*pending)
        return len(pending)
    finally:
        await producer.stop()


@dataclass(frozen=True)
class Received:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]
    timestamp_ms: int


async def partitions_of(kafka: Kafka | str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of `topics` (missing topics have none)."""
    admin = AIOKafkaAdminClient(**Kafka.of(kafka).options())
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return [
        TopicPartition(t["topic"], p["partition"])
        for t in described
        if t["error_code"] == 0
        for p in t["partitions"]
    ]


async def end_offsets(kafka: Kafka | str, topics: list[str]) -> dict[TopicPartition, int]:
    partitions = await partitions_of(kafka, topics)
    consumer = AIOKafkaConsumer(**Kafka.of(kafka).options(), enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.end_offsets(partitions) if partitions else {}
    finally:
        await consumer.stop()


async def tail(
    kafka: Kafka | str, topics: list[str], start: dict[TopicPartition, int] | None = None
) -> AsyncIterator[Received]:
    """Records of `topics` from `start` offsets (beginning where none is given), forever.

    No consumer group: reading does not disturb the offsets of real consumers.
    """
    partitions = await partitions_of(kafka, topics)
    consumer = AIOKafkaConsumer(
        **Kafka.of(kafka).options(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        for tp in partitions:
            if start and tp in start:
                consumer.seek(tp, start[tp])
            else:
                await consumer.seek_to_beginning(tp)
        async for m in consumer:
            yield _received(m)
    finally:
        await consumer.stop()


async def read_to_end(kafka: Kafka | str, topics: list[str]) -> AsyncIterator[Received]:
    """Every record of `topics` there is now, from the beginning, by partition in order."""
    ends = {tp: end for tp, end in (await end_offsets(kafka, topics)).items() if end}
    if not ends:
        return
    consumer = AIOKafkaConsumer(**Kafka.of(kafka).options(), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        # by position, not by the last record's offset: a partition may end in a gap
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for tp, messages in (await consumer.getmany(timeout_ms=500)).items():
                for m in messages:
                    if m.offset < ends[tp]:
                        yield _received(m)
    finally:
        await consumer.stop()


def _received(m: ConsumerRecord) -> Received:
    return Received(
        m.topic, m.partition, m.offset, m.key, m.value, dict(m.headers or ()), m.timestamp
    )
