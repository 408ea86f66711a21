"""Producing to and reading from a pipeline's topics in tests."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from screener.core.policy import load_policy
from screener.observability.probe import metric_total
from screener.sim.declarations import SampleMessage
from screener.stream.clients import Received, end_offsets, read_to_end, tail


@dataclass(frozen=True)
class Sent:
    sample: SampleMessage
    partition: int
    offset: int
    trace_id: str


async def send_all(bootstrap: str, topic: str, samples: list[SampleMessage]) -> list[Sent]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        futures = []
        for n, s in enumerate(samples):
            headers = [("content-type", b"application/json"), ("trace-id", f"t-{n}".encode())]
            futures.append(await producer.send(topic, s.value, key=s.key, headers=headers))
        metadata = await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return [
        Sent(s, m.partition, m.offset, f"t-{n}")
        for n, (s, m) in enumerate(zip(samples, metadata, strict=True))
    ]


async def collect(pipeline, until, timeout: float = 90) -> list[Received]:
    """Output records until `until(records)` holds (or the timeout passes)."""
    records: list[Received] = []

    async def read() -> None:
        async for record in tail(pipeline.bootstrap, pipeline.outputs):
            records.append(record)
            if until(records):
                return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(read(), timeout)
    return records


def by_topic(records: list[Received], topic: str) -> list[Received]:
    return [r for r in records if r.topic == topic]


def accounted(pipeline, n: int):
    """Every input answered (assessment or dead letter), and every alert of those assessments
    out too: an alert is published just after its assessment, so it may trail it."""
    threshold = load_policy().document.scoring.alert_threshold

    def done(records: list[Received]) -> bool:
        assessments = by_topic(records, pipeline.assessments)
        if len(assessments) + len(by_topic(records, pipeline.dead_letters)) < n:
            return False
        alerting = {r.key for r in assessments if orjson.loads(r.value)["score"] >= threshold}
        return alerting <= {r.key for r in by_topic(records, pipeline.alerts)}

    return done


async def history_settled(pipeline, timeout: float = 30) -> dict[str, dict]:
    """The history table once the workers have committed every entity event and every
    declaration (screen applies the entity events of some itself): rows are written behind
    their batches (stream/write_behind.py) and an input is committed only after its rows,
    so then the changelog holds every row."""
    topics = [f"{pipeline.app_id}-entity-events", pipeline.declarations]
    ends = {tp: end for tp, end in (await end_offsets(pipeline.bootstrap, topics)).items()}
    admin = AIOKafkaAdminClient(bootstrap_servers=pipeline.bootstrap)
    await admin.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            committed = await admin.list_consumer_group_offsets(pipeline.app_id)
            behind = {
                tp: end
                for tp, end in ends.items()
                if end and (tp not in committed or committed[tp].offset < end)
            }
            if not behind:
                break
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"entity events not committed after {timeout}s: {behind}")
            await asyncio.sleep(0.5)
    finally:
        await admin.close()
    return await read_table(pipeline.bootstrap, pipeline.history_changelog)


async def read_table(bootstrap: str, changelog: str) -> dict[str, dict]:
    """A table as its changelog says it is now: the last value of every key."""
    rows: dict[str, dict] = {}
    async for record in read_to_end(bootstrap, [changelog]):
        if record.value is None:
            rows.pop(record.key.decode(), None)
        else:
            rows[record.key.decode()] = orjson.loads(record.value)
    return rows


ALERT_FIELDS = ("alerts", "last_alert_at")


def histories(rows: dict[str, dict], with_alerts: bool = True) -> dict[str, dict]:
    """Entity key -> history (without the ledger of declarations applied)."""
    result = {}
    for key, row in rows.items():
        history = dict(row["history"])
        if not with_alerts:
            for name in ALERT_FIELDS:
                history.pop(name)
        result[key] = history
    return result


def history_diff(left: dict[str, dict], right: dict[str, dict], most: int = 5) -> str:
    """Which entities differ and in which fields: readable when two histories disagree."""
    lines = [
        f"only left: {sorted(set(left) - set(right))[:most]}",
        f"only right: {sorted(set(right) - set(left))[:most]}",
    ]
    for key in sorted(set(left) & set(right)):
        fields = {
            f: (left[key][f], right[key].get(f))
            for f in left[key]
            if left[key][f] != right[key].get(f)
        }
        if fields:
            lines.append(f"{key}: {fields}")
            if len(lines) > most + 2:
                break
    return "\n".join(lines)


metric = metric_total
