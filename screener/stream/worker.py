"""Starting the worker: load the policy, make sure the topics exist, run faust."""

from __future__ import annotations

import asyncio

import faust

from screener.core.policy import PolicyBook, load_policy
from screener.settings import Settings
from screener.stream.app import create_app
from screener.stream.topics import (
    changelog_topics,
    ensure_topics,
    internal_topics,
    pipeline_topics,
)


def run_worker(settings: Settings) -> None:
    book = PolicyBook(load_policy(settings.policy_file))  # fail fast, before touching Kafka
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    bootstrap = settings.kafka_bootstrap
    loop.run_until_complete(
        ensure_topics(bootstrap, pipeline_topics(settings), settings.topic_partitions)
    )
    # Created before faust subscribes: a topic it cannot see yet at its first assignment is
    # left unassigned. Policy versions: one compacted partition, kept and read in order.
    compacted = {"cleanup.policy": "compact"}
    internal = settings.internal_partitions
    loop.run_until_complete(ensure_topics(bootstrap, internal_topics(settings), internal))
    loop.run_until_complete(
        ensure_topics(bootstrap, changelog_topics(settings), internal, config=compacted)
    )
    loop.run_until_complete(
        ensure_topics(bootstrap, [settings.reference_topic], 1, config=compacted)
    )
    app = create_app(settings, book)
    faust.Worker(app, loglevel=settings.log_level, loop=loop).execute_from_commandline()
