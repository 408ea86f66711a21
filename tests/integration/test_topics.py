"""Topics screener makes and sets: its own take large records, whatever they were made with."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient

from screener.stream.topics import (
    COMPACTED,
    LARGE_RECORDS,
    LARGEST_RECORD,
    ensure_topics,
    record_limits,
    topic_settings,
)

KAFKA_DEFAULT = 1_048_588


async def settings_of(bootstrap: str, topic: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return (await topic_settings(admin, [topic]))[topic]
    finally:
        await admin.close()


async def test_an_own_topic_made_before_gets_large_records_and_keeps_its_settings(
    kafka_bootstrap, topic_factory
):
    """A changelog made by an earlier version (compacted, with a retention an operator set)."""
    kept = COMPACTED | {"retention.ms": "86400000"}
    made = await topic_factory("changelog", partitions=2, config=kept)
    assert (await record_limits(kafka_bootstrap, [made]))[made] == KAFKA_DEFAULT

    created = await ensure_topics(kafka_bootstrap, [made], 2, COMPACTED | LARGE_RECORDS, own=True)
    assert created == []
    assert (await record_limits(kafka_bootstrap, [made]))[made] == LARGEST_RECORD
    assert await settings_of(kafka_bootstrap, made) == {
        "cleanup.policy": "compact",
        "retention.ms": "86400000",
        "max.message.bytes": str(LARGEST_RECORD),
    }


async def test_a_topic_of_others_is_left_as_it_was_made(kafka_bootstrap, topic_factory):
    theirs = await topic_factory("declarations", partitions=1)
    assert await ensure_topics(kafka_bootstrap, [theirs], 1, LARGE_RECORDS) == []
    assert (await record_limits(kafka_bootstrap, [theirs]))[theirs] == KAFKA_DEFAULT
    assert await settings_of(kafka_bootstrap, theirs) == {}
