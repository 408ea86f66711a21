"""Creating the topics screener reads and writes, before the worker subscribes.

Records the worker writes can be larger than the declaration that caused them: a dead letter
is the declaration's bytes plus its headers, a pending row a whole declaration (up to 1 MiB)
with the features of every entity it touches. Topics the worker writes to are made to take
records up to `LARGEST_RECORD`; with Kafka's default limit (1 MiB) a valid declaration near
it could not be carried on, and the worker stopped at it after every restart.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, for_code

from screener.settings import Settings
from screener.stream.connection import Kafka, kafka_of

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36
TOPIC_CONFIG = 1  # DescribeConfigs: a setting made on the topic itself
LARGEST_RECORD = 8 * 1024 * 1024
LARGE_RECORDS = {"max.message.bytes": str(LARGEST_RECORD)}
COMPACTED = {"cleanup.policy": "compact"}


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, names: list[str], timeout: float = 30
) -> None:
    """Until every partition of `names` has a leader: a consumer that subscribes before then
    is assigned nothing of a topic it cannot see yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = await admin.describe_topics(names)
        if all(
            t["error_code"] == 0
            and t["partitions"]
            and all(p["leader"] >= 0 for p in t["partitions"])
            for t in described
        ):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"topics {names} have no leaders after {timeout:.0f} s")


def internal_topics(settings: Settings) -> list[str]:
    """The worker's own topics: the scatter and gather hops."""
    return [f"{settings.app_id}-entity-events", f"{settings.app_id}-gather"]


def changelog_topics(settings: Settings) -> list[str]:
    """Changelogs of the worker's tables (faust's naming), compacted."""
    return [f"{settings.app_id}-history-changelog", f"{settings.app_id}-pending-changelog"]


def dispositions_hop_topic(settings: Settings) -> str:
    """The hop that brings alerts and their dispositions together (`dispositions.py`)."""
    return f"{settings.app_id}-dispositions"


def dispositions_topics(settings: Settings) -> list[str]:
    """That hop and the changelog of its table (one partition each)."""
    return [dispositions_hop_topic(settings), f"{settings.app_id}-alerted-changelog"]


def leader_topic(settings: Settings) -> str:
    """faust's leader-assignor topic (its naming), made here like the others: faust would
    make it with a fixed replication factor of its own."""
    return f"{settings.app_id}-__assignor-__leader"


def output_topics(settings: Settings) -> list[str]:
    return [
        settings.dead_letter_topic,
        settings.assessments_topic,
        settings.alerts_topic,
        settings.dispositions_dead_letter_topic,
    ]


def pipeline_topics(settings: Settings) -> list[str]:
    return [settings.declarations_topic, settings.dispositions_topic, *output_topics(settings)]


async def ensure_pipeline_topics(settings: Settings) -> list[str]:
    """The inputs with the broker's record limit (the producers' contract), the outputs with
    room for a dead letter of the largest input; returns those created. Dispositions come at
    a person's pace: their topic gets one partition (every partition a worker subscribes to
    costs it CPU in every fetch)."""
    kafka, partitions = kafka_of(settings), settings.topic_partitions
    replicas = settings.topic_replication_factor
    return [
        *await ensure_topics(kafka, [settings.declarations_topic], partitions, None, replicas),
        *await ensure_topics(kafka, [settings.dispositions_topic], 1, None, replicas),
        *await ensure_topics(kafka, output_topics(settings), partitions, LARGE_RECORDS, replicas),
    ]


async def ensure_worker_topics(settings: Settings) -> list[str]:
    """The hops and the tables' changelogs (compacted), which the worker owns: made to take
    large records, and set so if they were made before. Policy versions: one compacted
    partition, kept and read in order. Returns those created."""
    kafka, internal = kafka_of(settings), settings.internal_partitions
    replicas = settings.topic_replication_factor
    hops, changelogs = internal_topics(settings), changelog_topics(settings)
    changelog = COMPACTED | LARGE_RECORDS
    hop, alerted = dispositions_topics(settings)
    return [
        *await ensure_topics(kafka, hops, internal, LARGE_RECORDS, replicas, own=True),
        *await ensure_topics(kafka, changelogs, internal, changelog, replicas, own=True),
        *await ensure_topics(kafka, [hop], 1, LARGE_RECORDS, replicas, own=True),
        *await ensure_topics(kafka, [alerted], 1, changelog, replicas, own=True),
        *await ensure_topics(kafka, [settings.reference_topic], 1, COMPACTED, replicas),
        *await ensure_topics(kafka, [leader_topic(settings)], 1, None, replicas),
    ]


async def ensure_topics(
    kafka: Kafka | str,
    names: list[str],
    partitions: int,
    config: dict[str, str] | None = None,
    replication_factor: int | None = None,
    *,
    own: bool = False,
) -> list[str]:
    """Create the topics of `names` that do not exist yet; returns the ones created. `own`:
    topics of the worker's, whose existing ones are set to `config` too. Without a
    `replication_factor`, as many replicas as the cluster gives a topic by default."""
    admin = AIOKafkaAdminClient(**Kafka.of(kafka).options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if own and config:
            present = [n for n in names if n in existing]
            await _set_config(admin, present, config)
        if not missing:
            return []
        replication_factor = replication_factor or await cluster_replication(admin)
        response = await admin.create_topics(
            [
                NewTopic(n, partitions, replication_factor, topic_configs=config or {})
                for n in missing
            ]
        )
        for topic, code, *rest in response.topic_errors:
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise for_code(code)(f"cannot create topic {topic}: {rest[0] if rest else ''}")
        await _wait_for_leaders(admin, missing)
        return missing
    finally:
        await admin.close()


async def cluster_replication(admin: AIOKafkaAdminClient) -> int:
    """The cluster's default.replication.factor, read from a broker: aiokafka's CreateTopics
    (up to v3) cannot ask for "the broker's default" itself (-1, from v4 on), and a replica
    fewer than the cluster keeps of everything else would lose declarations with a broker."""
    key = "default.replication.factor"
    unread = (
        f"cannot read the cluster's {key} "
        "(to make topics without it, set SCREENER_TOPIC_REPLICATION_FACTOR)"
    )
    try:
        broker = str((await admin.describe_cluster())["brokers"][0]["node_id"])
        resource = ConfigResource(ConfigResourceType.BROKER, broker, dict.fromkeys([key]))
        described = await admin.describe_configs([resource])
    except KafkaError as exc:
        raise type(exc)(f"{unread}: {exc}") from exc
    for response in described:
        for code, message, _, _, entries in response.resources:
            if code:
                raise for_code(code)(f"{unread}: {message}")
            return int(next(e[1] for e in entries if e[0] == key))
    raise RuntimeError(f"{unread}: broker {broker} did not describe it")


async def _set_config(admin: AIOKafkaAdminClient, names: list[str], config: dict[str, str]):
    """Add `config` to what is set on each topic (AlterConfigs replaces every setting of a
    topic, so the ones set on it are read first and kept); a topic that has it is left be.
    Without the rights to do so, a warning: the topic keeps what it has."""
    try:
        for name, current in (await topic_settings(admin, names)).items():
            wanted = current | config
            if wanted == current:
                continue
            resource = ConfigResource(ConfigResourceType.TOPIC, name, wanted)
            for response in await admin.alter_configs([resource]):
                for code, message, *_ in response.resources:
                    if code:
                        raise for_code(code)(f"cannot configure topic {name}: {message}")
    except KafkaError as exc:
        log.warning("topics %s keep their settings, not %s: %s", names, config, exc)


async def _described(
    admin: AIOKafkaAdminClient, names: list[str], keys: list[str] | None = None
) -> dict[str, list]:
    """Each topic's configuration entries (name, value, read only, source, sensitive, ...),
    only those of `keys` if given, in one request."""
    wanted = None if keys is None else dict.fromkeys(keys)
    resources = [ConfigResource(ConfigResourceType.TOPIC, n, wanted) for n in names]
    described = {}
    for response in await admin.describe_configs(resources):
        for code, message, _, name, entries in response.resources:
            if code:
                raise for_code(code)(f"cannot read the configuration of {name}: {message}")
            described[name] = entries
    return described


async def topic_settings(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict]:
    """The settings made on each topic itself (not the broker's defaults)."""
    if not names:
        return {}
    return {
        name: {e[0]: e[1] for e in entries if e[3] == TOPIC_CONFIG and not e[4]}
        for name, entries in (await _described(admin, names)).items()
    }


async def record_limits(kafka: Kafka | str, names: list[str]) -> dict[str, int]:
    """The largest record each topic takes (its max.message.bytes)."""
    admin = AIOKafkaAdminClient(**Kafka.of(kafka).options())
    await admin.start()
    try:
        described = await _described(admin, names, ["max.message.bytes"])
    finally:
        await admin.close()
    return {
        name: next(int(e[1]) for e in entries if e[0] == "max.message.bytes")
        for name, entries in described.items()
    }
