"""Creating the topics screener reads and writes, before the worker subscribes."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code

from screener.settings import Settings

TOPIC_ALREADY_EXISTS = 36


def pipeline_topics(settings: Settings) -> list[str]:
    return [
        settings.declarations_topic,
        settings.dead_letter_topic,
        settings.assessments_topic,
        settings.alerts_topic,
    ]


async def ensure_topics(
    bootstrap: str,
    names: list[str],
    partitions: int,
    replication_factor: int = 1,
    config: dict[str, str] | None = None,
) -> list[str]:
    """Create the topics of `names` that do not exist yet; returns the ones created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(n, partitions, replication_factor, topic_configs=config or {})
                for n in missing
            ]
        )
        for topic, code, *rest in response.topic_errors:
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise for_code(code)(f"cannot create topic {topic}: {rest[0] if rest else ''}")
        return missing
    finally:
        await admin.close()
