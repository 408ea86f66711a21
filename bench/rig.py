"""The benchmark rig: a throwaway broker, topics, timed producing, reading results back.

Latency is measured on Kafka timestamps, both from the broker host's clock: the input
record's CreateTime (set by the producer when it hands the record over) and the output
record's LogAppendTime (set by the broker when the result is in the log, readable by a
consumer). Output topics are created with `message.timestamp.type=LogAppendTime` for that.
Records are matched by their `trace-id` header, which the worker copies onto what it
publishes and the passthrough forwards untouched.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from screener import local_kafka

LOG_APPEND_TIME = {"message.timestamp.type": "LogAppendTime"}


# --------------------------------------------------------------------------- running


def run_in_workdir(
    main: Callable[[argparse.Namespace], Awaitable[None]], args: argparse.Namespace
) -> None:
    """Run `main(args)` in `args.workdir` (kept afterwards, for its logs and state) or, when
    none is given, in a temporary directory removed at the end."""
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        asyncio.run(main(args))
        return
    with tempfile.TemporaryDirectory(prefix="screener-bench-") as tmp:
        args.workdir = Path(tmp)
        asyncio.run(main(args))


# --------------------------------------------------------------------------- machine


def machine_facts() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    libs = ", ".join(f"{p} {version(p)}" for p in ("aiokafka", "faust-streaming", "pydantic"))
    return (
        f"{usable} usable cores ({cpu}); Python {platform.python_version()} "
        f"({platform.python_implementation()}); {libs}; Kafka {local_kafka.kafka_version()}"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- broker


@contextlib.contextmanager
def fresh_broker(state_dir: Path) -> Iterator[local_kafka.BrokerInfo]:
    """A new single-node broker on its own ports and data dir, stopped whatever happens."""
    port = local_kafka.free_port_pair()
    try:
        yield local_kafka.up(port=port, controller_port=port + 1, state_dir=state_dir)
    finally:
        local_kafka.down(state_dir)


async def create_topics(
    bootstrap: str, names: Sequence[str], partitions: int, config: dict[str, str] | None = None
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        resp = await admin.create_topics(
            [NewTopic(n, partitions, 1, topic_configs=config or {}) for n in names]
        )
        if errors := [e for e in resp.topic_errors if e[1] != 0]:
            raise RuntimeError(f"creating topics failed: {errors}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            described = await admin.describe_topics(list(names))
            if all(
                t["error_code"] == 0 and all(p["leader"] >= 0 for p in t["partitions"])
                for t in described
            ):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"topics {names} have no leaders after 30 s")
    finally:
        await admin.close()


# --------------------------------------------------------------------------- producing


@dataclass(frozen=True)
class Message:
    key: bytes | None
    value: bytes
    trace_id: str


async def produce(
    bootstrap: str, topic: str, messages: Sequence[Message], rate: float | None = None
) -> float:
    """Send `messages` (at `rate` per second, else as fast as possible) and wait for every
    acknowledgement; returns the seconds it took.

    Flat out, large batches keep the producer well ahead of any consumer. Paced, records go
    out at once (linger 0) so their CreateTime is the moment they were due.
    """
    flat_out = rate is None
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=20 if flat_out else 0,
        max_batch_size=512 * 1024 if flat_out else 16 * 1024,
    )
    await producer.start()
    try:
        started = time.monotonic()
        pending = []
        for n, m in enumerate(messages):
            if rate:
                ahead = started + n / rate - time.monotonic()
                if ahead > 0.002:  # sleep only when worth it; otherwise catch up in a burst
                    await asyncio.sleep(ahead)
            headers = [("trace-id", m.trace_id.encode())]
            pending.append(await producer.send(topic, m.value, key=m.key, headers=headers))
            if len(pending) >= 5_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return time.monotonic() - started
    finally:
        await producer.stop()


# --------------------------------------------------------------------------- reading back


@contextlib.asynccontextmanager
async def end_offsets_of(
    bootstrap: str, topic: str, partitions: int
) -> AsyncIterator[Callable[[], Awaitable[int]]]:
    """A function returning how many records `topic` holds now: one client for a whole wait,
    so polling costs the machine next to nothing."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)  # puts the topic in the client's metadata

        async def count() -> int:
            return sum((await consumer.end_offsets(tps)).values())

        yield count
    finally:
        await consumer.stop()


async def timestamps(bootstrap: str, topic: str) -> dict[str, int]:
    """trace-id -> timestamp (ms) of its first record in `topic`, read to the current end."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 2**20,
    )
    await consumer.start()
    try:
        await consumer.getmany(timeout_ms=100)  # until partitions are assigned
        ends = await consumer.end_offsets(list(consumer.assignment()))
        await consumer.seek_to_beginning()
        remaining = {tp for tp, end in ends.items() if end > 0}
        seen: dict[str, int] = {}
        while remaining:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                for r in records:
                    trace = next((v for k, v in r.headers if k == "trace-id"), None)
                    if trace is not None:
                        key = trace.decode()
                        seen[key] = min(seen.get(key, r.timestamp), r.timestamp)
                    if r.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        return seen
    finally:
        await consumer.stop()


async def wait_for(
    bootstrap: str,
    topic: str,
    partitions: int,
    count: int,
    timeout: float,
    alive: Callable[[], None] = lambda: None,
) -> float:
    """Until `topic` holds at least `count` records; returns the seconds waited.
    `alive` raises when the processes that should write them have died."""
    started = time.monotonic()
    async with end_offsets_of(bootstrap, topic, partitions) as records:
        while (have := await records()) < count:
            alive()
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{topic}: {have:,} of {count:,} records after {timeout:.0f} s")
            await asyncio.sleep(0.25)
    return time.monotonic() - started


async def every_out(
    bootstrap: str,
    topic: str,
    trace_ids: list[str],
    timeout: float,
    alive: Callable[[], None] = lambda: None,
) -> dict[str, int]:
    """`timestamps` of `topic` once it holds every one of `trace_ids`: at least once, its
    record count (`wait_for`) can reach theirs with a duplicate while one is on its way."""
    started = time.monotonic()
    while True:
        seen = await timestamps(bootstrap, topic)
        missing = [t for t in trace_ids if t not in seen]
        if not missing:
            return seen
        alive()
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{topic}: {len(missing):,} never out, e.g. {missing[0]}")
        await asyncio.sleep(0.25)


async def records_by_topic(bootstrap: str, prefix: str) -> dict[str, int]:
    """How many records each topic whose name starts with `prefix` holds."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    tps = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        counts: dict[str, int] = {}
        for tp, end in (await consumer.end_offsets(tps)).items():
            counts[tp.topic] = counts.get(tp.topic, 0) + end
        return counts
    finally:
        await consumer.stop()


def percentile(sorted_values: Sequence[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]
