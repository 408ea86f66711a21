"""Gather: a declaration is answered once the features of every entity it touches are there,
and the first features of each entity win, whether they come through the gather topic or
straight from the history agent of the same worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import faust
import orjson
import pytest

from screener.core.assess import assess
from screener.core.history import EntityRow, HistorySnapshot, scatter
from screener.core.intake import parse_declaration
from screener.core.policy import PolicyBook
from screener.models import Assessment
from screener.settings import Settings
from screener.stream.envelopes import Output
from screener.stream.gather import Gather
from screener.stream.hops import partition_of
from tests.unit.test_write_behind import Event

EXAMPLE = Path(__file__).parents[2] / "contracts/examples/shipment-declaration.magnets-via-th.json"
PARTITIONS = 6


class GatherEvent(Event):
    """A gather-topic record as the gather agent gets it."""

    def __init__(self, items: list[dict], partition: int) -> None:
        super().__init__()
        self.message.value = orjson.dumps(items)
        self.message.partition = partition
        self.message.timestamp = 1.0


@pytest.fixture
def declaration():
    return parse_declaration(EXAMPLE.read_bytes())


def features_of(declaration, policy, applied_before: bool) -> dict:
    """The features item history sends for `declaration`: from empty rows (the first time),
    or from rows that already hold it (a redelivery: the history as it is now)."""
    found = {}
    for e in scatter(declaration, policy):
        row = EntityRow.new(e.kind)
        if applied_before:
            row.observe(e)
        found[e.key] = row.observe(e)
    return {"t": "features", "declaration_id": declaration.declaration_id, "features": found}


def declaration_item(declaration, policy) -> dict:
    return {
        "t": "declaration",
        "declaration": declaration.model_dump(mode="json"),
        "expected": sorted({e.key for e in scatter(declaration, policy)}),
        "trace_id": None,
        "timestamp": 1.0,
    }


def make_gather(policy) -> tuple[Gather, list]:
    app = faust.App("test-gather", broker="kafka://127.0.0.1:1", store="memory://")
    pending = app.Table("pending", partitions=PARTITIONS, key_type=bytes, value_type=bytes)
    sent: list = []

    async def publish(messages):
        sent.append(list(messages))
        return []

    topic = app.topic("out")
    gather = Gather(
        app,
        Settings(internal_partitions=PARTITIONS),
        PolicyBook(policy),
        pending,
        publish,
        app.topic("entities"),
        app.topic("gather"),
        {output: topic for output in Output},
    )
    gather.held_here.update(range(PARTITIONS))
    return gather, sent


def assessments(sent: list) -> list[Assessment]:
    return [
        Assessment.model_validate_json(value)
        for call in sent
        for topic, _, _, value, headers in call
        if value and (b"screening-assessment" in dict(headers).get("schema", b""))
    ]


def assessment_from(declaration, policy, item: dict) -> Assessment:
    return assess(declaration, policy, HistorySnapshot.of(item["features"].values()))


def test_features_found_now_answer_at_once_with_the_features_published(declaration, policy):
    gather, sent = make_gather(policy)
    partition = partition_of(declaration.declaration_id, PARTITIONS)
    asyncio.run(gather.batch([GatherEvent([declaration_item(declaration, policy)], partition)]))
    first = features_of(declaration, policy, applied_before=False)
    features_record = ("gather-topic", partition, None, b"features", [])
    asyncio.run(gather.features([first], [features_record], redelivered=set()))
    (answer,) = assessments(sent)
    assert sent[-1][0] == features_record  # one round trip: the features, then the answer
    expected = assessment_from(declaration, policy, first)
    assert (answer.score, answer.history_digest) == (expected.score, expected.history_digest)


def test_features_of_a_redelivery_wait_for_the_first_ones_in_the_gather_topic(declaration, policy):
    """After a crash, history's replay gives the history as it is now, with the declaration
    in it; the features first found for it are still in the gather topic and must win."""
    gather, sent = make_gather(policy)
    partition = partition_of(declaration.declaration_id, PARTITIONS)
    asyncio.run(gather.batch([GatherEvent([declaration_item(declaration, policy)], partition)]))
    replayed = features_of(declaration, policy, applied_before=True)
    asyncio.run(gather.features([replayed], [], redelivered={declaration.declaration_id}))
    assert assessments(sent) == []  # not merged in-process
    first = features_of(declaration, policy, applied_before=False)
    asyncio.run(gather.batch([GatherEvent([first, replayed], partition)]))
    (answer,) = assessments(sent)
    expected = assessment_from(declaration, policy, first)
    assert answer.history_digest == expected.history_digest
    assert answer.history_digest != assessment_from(declaration, policy, replayed).history_digest
