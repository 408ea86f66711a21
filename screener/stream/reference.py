"""Policy versions arriving while the worker runs: from the policy file or from the
compacted reference topic. A version that does not validate is refused with the reason in
the log and a metric; the versions already loaded stay in force."""

from __future__ import annotations

import logging
from pathlib import Path

import faust
from aiokafka import AIOKafkaConsumer

from screener.core.policy import Policy, PolicyBook, PolicyError, load_policy, parse_policy
from screener.observability import metrics
from screener.settings import Settings
from screener.stream.clients import partitions_of
from screener.stream.connection import kafka_of

log = logging.getLogger(__name__)
POLICY_KEY_PREFIX = b"policy:"


def record_versions(book: PolicyBook) -> None:
    for policy in book.policies:
        at = policy.document.effective_from.timestamp()
        metrics.POLICY_VERSIONS.labels(version=policy.version).set(at)
    metrics.SCREENING_LIST_ENTRIES.set(book.policies[-1].screening.size)
    metrics.POLICY_LOADED_AT.set_to_current_time()


def admit(book: PolicyBook, policy: Policy, origin: str) -> None:
    if book.add(policy):
        record_versions(book)
        log.info(
            "policy %s from %s: in force from %s",
            policy.version,
            origin,
            policy.document.effective_from.isoformat(),
        )


def refuse(origin: str, exc: Exception) -> None:
    metrics.POLICY_REJECTED.labels(origin=origin).inc()
    log.error("policy from %s refused, versions in force unchanged: %s", origin, exc)


def watch_policy_file(app: faust.App, path: Path, book: PolicyBook, interval: float) -> None:
    """Reload the policy file when it changes."""
    seen = {"mtime": path.stat().st_mtime if path.exists() else None}

    @app.timer(interval)
    async def reload_policy_file() -> None:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return
        if mtime == seen["mtime"]:
            return
        seen["mtime"] = mtime
        try:
            admit(book, load_policy(path), "file")
        except PolicyError as exc:
            refuse("file", exc)


def follow_reference_topic(app: faust.App, settings: Settings, book: PolicyBook) -> None:
    """Read every policy version on the compacted reference topic, from the beginning, on
    every worker (no consumer group): all workers hold the same versions."""
    base_dir = settings.reference_dir

    @app.task
    async def read_reference_topic() -> None:
        kafka = kafka_of(settings)
        partitions = await partitions_of(kafka, [settings.reference_topic])
        consumer = AIOKafkaConsumer(**kafka.options(), enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign(partitions)
            if partitions:
                await consumer.seek_to_beginning(*partitions)
            async for message in consumer:
                origin = f"{message.topic}:{message.partition}:{message.offset}"
                try:
                    policy = policy_in(message.key, message.value, base_dir, origin)
                except PolicyError as exc:
                    refuse("topic", exc)
                    continue
                if policy is not None:
                    admit(book, policy, origin)
        finally:
            await consumer.stop()


def policy_in(key: bytes | None, value: bytes | None, base_dir: Path, origin: str) -> Policy | None:
    """The policy version a reference-topic record holds; None for a record of anything else
    (or a tombstone). Raises PolicyError for one that does not validate."""
    if not (key or b"").startswith(POLICY_KEY_PREFIX) or not value:
        return None
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{origin}: not UTF-8: {exc}") from exc
    return parse_policy(text, base_dir, origin)
