"""Starting the worker: load the policy, make sure the topics exist, run faust."""

from __future__ import annotations

import asyncio
import gc

import faust

from screener.core.policy import PolicyBook, load_policy
from screener.observability.metrics import watch_gc_pauses
from screener.settings import Settings
from screener.stream.app import create_app
from screener.stream.topics import (
    changelog_topics,
    ensure_topics,
    internal_topics,
    pipeline_topics,
)


def tune_gc() -> None:
    """Full collections walk every live object (screening lists, faust's
    buffers) with the event loop stopped: 35 pauses of 150-300 ms in a one-minute benchmark,
    5 s in all, which set the p99 latency and cost a fifth of the CPU. What exists at start-up
    (policy, lists, name indexes) is frozen out of collection, and full collections come ten
    times less often; young objects are collected as usual."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)
    watch_gc_pauses()


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
    tune_gc()
    faust.Worker(app, loglevel=settings.log_level, loop=loop).execute_from_commandline()
