"""The local broker really works: records round-trip through it with aiokafka."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

RECORDS = [
    (b"decl-1", b'{"hs":"8542.31","dest":"AE"}', [("trace", b"a1"), ("v", b"1")]),
    (b"decl-2", b'{"hs":"9013.10","dest":"TR"}', [("trace", b"b2")]),
    (None, b"", []),  # null key, empty value, no headers: the edge cases survive too
]


async def test_produce_and_consume_round_trip(kafka_bootstrap: str, topic_factory) -> None:
    topic = await topic_factory("roundtrip", partitions=1)

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for key, value, headers in RECORDS:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()

    # A consumer group (not manual assignment) so the group coordinator and the
    # single-replica __consumer_offsets topic are exercised as the service will use them.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"{topic}-group",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        got = []
        async with asyncio.timeout(30):
            while len(got) < len(RECORDS):
                batch = await consumer.getmany(timeout_ms=1000)
                for msgs in batch.values():
                    got.extend(msgs)
        await consumer.commit()
        committed = await consumer.committed(TopicPartition(topic, 0))
    finally:
        await consumer.stop()

    assert [(m.key, m.value, list(m.headers)) for m in got] == [
        (k, v, list(h)) for k, v, h in RECORDS
    ]
    assert [m.offset for m in got] == [0, 1, 2]
    assert committed == 3
