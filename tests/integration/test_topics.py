"""Topics screener makes and sets: its own take large records, whatever they were made with."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from screener import local_kafka
from screener.settings import Settings
from screener.stream.topics import (
    COMPACTED,
    LARGE_RECORDS,
    LARGEST_RECORD,
    cluster_replication,
    ensure_topics,
    ensure_worker_topics,
    leader_topic,
    record_limits,
    topic_settings,
)
from tests.integration.conftest import broker_properties, screener_command

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


def replicas_of(described: list[dict]) -> set[int]:
    return {len(p["replicas"]) for t in described for p in t["partitions"]}


async def test_a_topic_gets_as_many_replicas_as_the_cluster_gives_by_default(kafka_bootstrap):
    """The local broker keeps one replica of everything (default.replication.factor=1). The
    worker's topics include faust's leader topic, which faust would make with its own."""
    name = f"replicated-{uuid.uuid4().hex[:8]}"
    assert await ensure_topics(kafka_bootstrap, [name], 2) == [name]
    settings = Settings(_env_file=None, kafka_bootstrap=kafka_bootstrap, app_id=name)
    await ensure_worker_topics(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        assert await cluster_replication(admin) == 1
        assert replicas_of(await admin.describe_topics([name, leader_topic(settings)])) == {1}
    finally:
        await admin.close()


async def test_more_replicas_than_brokers_are_refused_not_reduced(kafka_bootstrap):
    name = f"replicated-{uuid.uuid4().hex[:8]}"
    with pytest.raises(KafkaError, match="replication factor of 2 cannot be reached"):
        await ensure_topics(kafka_bootstrap, [name], 1, replication_factor=2)


def test_without_a_setting_screener_asks_the_cluster_s_default(tmp_path):
    """A broker whose default is 3 replicas: `screener topics` asks for 3 (and one broker
    cannot hold them), not for 1."""
    properties = broker_properties({"default.replication.factor": "3"})
    port = local_kafka.free_port_pair()
    info = local_kafka.up(port, port + 1, tmp_path / "kafka", properties=properties)
    try:
        made = screener_command("topics", env={"SCREENER_KAFKA_BOOTSTRAP": info.bootstrap})
        assert Settings(_env_file=None).topic_replication_factor is None
        assert made.returncode != 0
        assert "InvalidReplicationFactorError: cannot create topic" in made.stderr
        assert "The target replication factor of 3 cannot be reached" in made.stderr
    finally:
        local_kafka.down(tmp_path / "kafka")
