"""Creating the topics screener reads and writes, before the worker subscribes."""

from __future__ import annotations

import asyncio
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code

from screener.settings import Settings

TOPIC_ALREADY_EXISTS = 36


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
        await _wait_for_leaders(admin, missing)
        return missing
    finally:
        await admin.close()
