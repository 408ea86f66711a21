"""Integration tests run against a real Kafka broker.

By default one throwaway single-node broker (screener.local_kafka) is started per pytest
session on free loopback ports and stopped at the end, whatever happens. Set
SCREENER_TEST_BOOTSTRAP=host:port to use an already running broker instead.

Tests get unique topics from ``topic_factory`` so they never see each other's records.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from screener import local_kafka

HERE = Path(__file__).resolve().parent

TopicFactory = Callable[..., Awaitable[str]]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees every collected item, not only ours: mark just the ones under this folder.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


def _free_port_pair() -> int:
    """A free port whose successor is free too (broker port, controller port)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no pair of free loopback ports")


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """bootstrap_servers string of the broker the integration tests use."""
    if external := os.environ.get("SCREENER_TEST_BOOTSTRAP"):
        yield external
        return
    state_dir = tmp_path_factory.mktemp("kafka")
    port = _free_port_pair()
    # atexit as well as finally: covers an interrupted session whose fixture teardown is skipped.
    atexit.register(local_kafka.down, state_dir)
    info = local_kafka.up(port=port, controller_port=port + 1, state_dir=state_dir)
    try:
        yield info.bootstrap
    finally:
        local_kafka.down(state_dir)


@pytest.fixture(scope="session")
async def topic_factory(kafka_bootstrap: str) -> AsyncIterator[TopicFactory]:
    """``await topic_factory("orders", partitions=3, config={...})`` -> new unique topic name.

    Waits until every partition has a leader, so producers/consumers can start at once.
    Topics are deleted at the end of the session (matters with SCREENER_TEST_BOOTSTRAP).
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    created: list[str] = []

    async def new_topic(
        name_prefix: str = "test", partitions: int = 1, config: dict[str, str] | None = None
    ) -> str:
        name = f"{name_prefix}-{uuid.uuid4().hex[:12]}"
        resp = await admin.create_topics(
            [NewTopic(name, partitions, 1, topic_configs=config or {})]
        )
        errors = [e for e in resp.topic_errors if e[1] != 0]
        if errors:
            raise RuntimeError(f"creating topic {name} failed: {errors}")
        created.append(name)
        await _wait_for_leaders(admin, name, partitions)
        return name

    try:
        yield new_topic
    finally:
        if created:
            # Best effort: a throwaway broker is deleted with its topics anyway.
            with contextlib.suppress(Exception):
                await admin.delete_topics(created)
        await admin.close()


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, topic: str, partitions: int, timeout: float = 30
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        (meta,) = await admin.describe_topics([topic])
        parts = meta["partitions"]
        if (
            meta["error_code"] == 0
            and len(parts) == partitions
            and all(p["leader"] >= 0 for p in parts)
        ):
            return
        if loop.time() > deadline:
            raise TimeoutError(f"topic {topic} has no leaders after {timeout}s: {meta}")
        await asyncio.sleep(0.1)
