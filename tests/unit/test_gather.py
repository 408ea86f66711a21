"""Gather: a declaration is answered once the features of every entity it touches are there,
and the first features of each entity win, whether they come through the gather topic or
straight from the history agent of the same worker (and then only from there)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import faust
import orjson
import pytest
from prometheus_client import REGISTRY

from screener.core.assess import assess
from screener.core.history import EntityRow, HistorySnapshot, scatter
from screener.core.intake import parse_declaration
from screener.core.policy import PolicyBook
from screener.models import Assessment
from screener.settings import Settings
from screener.stream import gather as gather_module
from screener.stream.answers import answer_key
from screener.stream.envelopes import Incoming, Output, origin_of
from screener.stream.gather import Gather
from screener.stream.hops import partition_of
from screener.stream.write_behind import WriteBehind
from tests.unit.test_table_writes import Table
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
    or from rows that hold it and a later declaration (a redelivery after history moved on:
    the history as it is now, less the declaration itself)."""
    found = {}
    for e in scatter(declaration, policy):
        row = EntityRow.new(e.kind)
        if applied_before:
            row.observe(e)
            row.observe(replace(e, declaration_id=e.declaration_id + "-later"))
        found[e.key] = row.observe(e)
    return {"t": "features", "declaration_id": declaration.declaration_id, "features": found}


def declaration_item(declaration, policy, raw: bytes | None = None) -> dict:
    """What screen sends to gather: the declaration's original bytes (`raw`, by default the
    example's) and where they came in."""
    raw = EXAMPLE.read_bytes() if raw is None else raw
    return {
        "t": "declaration",
        "declaration_id": declaration.declaration_id,
        "raw": raw.decode("latin-1"),
        "origin": origin_of(Incoming("declarations", 2, 77, b"key", raw, [("x", b"\xff")])),
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
        return [SimpleNamespace(topic="changelog", offset=n) for n in range(len(messages))]

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


def handed_on(gather: Gather, items: list[dict], redelivered: set[str], **options) -> None:
    """Features handed on as history hands them (`Gather.features`): merged or sent, then
    what that sent acknowledged."""

    async def hand_on() -> None:
        sent = await gather.features(items, redelivered, **options)
        if sent is not None:
            await sent

    asyncio.run(hand_on())


def assessments(sent: list) -> list[Assessment]:
    return [
        Assessment.model_validate_json(value)
        for call in sent
        for topic, _, _, value, headers in call
        if value and (b"screening-assessment" in dict(headers).get("schema", b""))
    ]


def assessment_from(declaration, policy, item: dict) -> Assessment:
    return assess(declaration, policy, HistorySnapshot.of(item["features"].values()))


def items_sent_to(sent: list, topic_name: str) -> list[dict]:
    """The items published to one of the internal topics."""
    return [
        item
        for call in sent
        for topic, _, _, value, _ in call
        if topic.get_topic_name() == topic_name
        for item in orjson.loads(value)
    ]


def to_gather_topic(sent: list) -> list[dict]:
    return items_sent_to(sent, "gather")


def history_written_after(gather: Gather) -> WriteBehind:
    """A history table holding a row, written after the pending rows owed to it."""

    async def publish(records):
        return [SimpleNamespace(topic="history", offset=n) for n in range(len(records))]

    history = WriteBehind(Table(), repr, publish, interval=3600)
    history.writes_after(gather.waiting)
    history.hold([], {"hs6:850511": (0, {})})
    return history


def test_features_found_here_answer_at_once_and_are_published_nowhere_else(declaration, policy):
    """The pending row keeps them: it is written before the history rows that found them
    (`WriteBehind.writes_after`)."""
    gather, sent = make_gather(policy)
    partition = partition_of(declaration.declaration_id, PARTITIONS)
    asyncio.run(gather.batch([GatherEvent([declaration_item(declaration, policy)], partition)]))
    first = features_of(declaration, policy, applied_before=False)
    handed_on(gather, [first], redelivered=set())
    (answer,) = assessments(sent)
    expected = assessment_from(declaration, policy, first)
    assert (answer.score, answer.history_digest) == (expected.score, expected.history_digest)
    assert to_gather_topic(sent) == []
    assert gather.waiting.get(declaration.declaration_id)["outgoing"]  # held, answered
    history = history_written_after(gather)
    asyncio.run(history.flush())
    assert gather.waiting.get(declaration.declaration_id) is None  # written first


def test_features_of_a_history_applied_here_go_out_with_the_answer(declaration, policy):
    """No topic keeps the order that history was applied in: the row is written with the
    answer, in the same round trip, so that a replay after a crash gets that answer again."""
    gather, sent = make_gather(policy)
    item = declaration_item(declaration, policy)
    asyncio.run(gather.declarations([item], [Event()], []))
    first = features_of(declaration, policy, applied_before=False)
    handed_on(gather, [first], redelivered=set(), ordered=False)
    (answer,) = assessments(sent)
    (answering,) = [call for call in sent if assessments([call])]
    changelog = gather.pending.changelog_topic.get_topic_name()
    assert [m[2] for m in answering if m[0].get_topic_name() == changelog] == [
        declaration.declaration_id.encode()
    ]
    assert gather.waiting.get(declaration.declaration_id) is None  # not held: written
    stored = orjson.loads(gather.pending[declaration.declaration_id.encode()])
    assert stored["outgoing"][0]["value"]["history_digest"] == answer.history_digest


def test_features_of_a_history_applied_here_come_before_the_declaration(declaration, policy):
    """Merged first and held, the row remembers where its features came from."""
    gather, sent = make_gather(policy)
    first = features_of(declaration, policy, applied_before=False)
    handed_on(gather, [first], redelivered=set(), ordered=False)
    asyncio.run(gather.waiting.flush())
    item = declaration_item(declaration, policy)
    asyncio.run(gather.declarations([item], [Event()], []))
    assert assessments(sent)
    assert gather.waiting.get(declaration.declaration_id) is None  # written with the answer


def test_features_merged_here_and_not_yet_answering_are_written_before_history(declaration, policy):
    """A pending row that took features in-process is written before the history rows that
    found them (`WriteBehind.writes_after`)."""
    gather, _ = make_gather(policy)
    first = features_of(declaration, policy, applied_before=False)
    handed_on(gather, [first], redelivered=set())  # the declaration is not here yet
    assert gather.waiting.get(declaration.declaration_id)["features"]  # held
    asyncio.run(history_written_after(gather).flush())
    assert gather.waiting.get(declaration.declaration_id) is None  # written first


def test_a_declaration_merged_here_is_acknowledged_once_its_pending_row_is_written(
    declaration, policy
):
    """Screen's batch: the declaration merged at once, published nowhere (`also` is), and
    the screen events held until the pending row is on the changelog."""
    gather, sent = make_gather(policy)
    screened = Event()
    entity_record = (gather.entity_topic, 0, None, b"[]", [])
    item = declaration_item(declaration, policy)
    asyncio.run(gather.declarations([item], [screened], [entity_record]))
    assert sent == [[entity_record]] and to_gather_topic(sent) == []
    assert gather.waiting.get(declaration.declaration_id)["raw"] == item["raw"]
    asyncio.run(history_written_after(gather).flush())
    assert gather.waiting.get(declaration.declaration_id) is not None  # owes history nothing
    screened.ack()  # faust's, when screen takes its next batch
    assert not screened.message.committable
    asyncio.run(gather.waiting.flush())
    assert screened.message.committable
    first = features_of(declaration, policy, applied_before=False)
    handed_on(gather, [first], redelivered=set())
    (answer,) = assessments(sent)
    assert answer.history_digest == assessment_from(declaration, policy, first).history_digest


def test_what_screen_sends_goes_out_with_the_answers_of_its_batch_in_one_round_trip(
    declaration, policy
):
    """Its entity events and dead letters (`also`), the answer and the answered row: one
    publish, and screen gets back what the broker acknowledged of `also`."""
    gather, sent = make_gather(policy)
    handed_on(gather, [features_of(declaration, policy, False)], set(), ordered=False)
    entity_record = (gather.entity_topic, 0, None, b"[]", [])
    item = declaration_item(declaration, policy)
    acknowledged, _ = asyncio.run(gather.declarations([item], [Event()], [entity_record]))
    (published,) = sent
    assert len(assessments(sent)) == 1 and entity_record in published
    assert [ack.offset for ack in acknowledged] == [published.index(entity_record)]


def test_features_for_a_gather_partition_held_elsewhere_go_through_the_gather_topic(
    declaration, policy
):
    gather, sent = make_gather(policy)
    partition = partition_of(declaration.declaration_id, PARTITIONS)
    gather.held_here.discard(partition)
    first = features_of(declaration, policy, applied_before=False)
    handed_on(gather, [first], redelivered=set())
    assert to_gather_topic(sent) == [first]
    assert gather.waiting.get(declaration.declaration_id) is None  # not merged here


def test_features_of_a_redelivery_wait_for_the_first_ones_in_the_gather_topic(declaration, policy):
    """After a crash, history's replay gives the history as it is now, with later
    declarations in it; the features first found for it are still in the gather topic and
    must win."""
    gather, sent = make_gather(policy)
    partition = partition_of(declaration.declaration_id, PARTITIONS)
    asyncio.run(gather.batch([GatherEvent([declaration_item(declaration, policy)], partition)]))
    replayed = features_of(declaration, policy, applied_before=True)
    handed_on(gather, [replayed], redelivered={declaration.declaration_id})
    assert assessments(sent) == []  # not merged in-process
    assert to_gather_topic(sent) == [replayed]  # but sent after the first ones
    first = features_of(declaration, policy, applied_before=False)
    asyncio.run(gather.batch([GatherEvent([first, replayed], partition)]))
    (answer,) = assessments(sent)
    expected = assessment_from(declaration, policy, first)
    assert answer.history_digest == expected.history_digest
    assert answer.history_digest != assessment_from(declaration, policy, replayed).history_digest


def test_features_of_a_redelivery_lose_to_the_first_ones_merged_here(declaration, policy):
    """The first features merged in-process and the pending row written; after a crash the
    replayed event's features come through the gather topic and are dropped."""
    gather, sent = make_gather(policy)
    partition = partition_of(declaration.declaration_id, PARTITIONS)
    first = features_of(declaration, policy, applied_before=False)
    handed_on(gather, [first], redelivered=set())
    asyncio.run(gather.waiting.flush())
    assert gather.waiting.get(declaration.declaration_id) is None  # read from the table now
    replayed = features_of(declaration, policy, applied_before=True)
    items = [declaration_item(declaration, policy), replayed]
    asyncio.run(gather.batch([GatherEvent(items, partition)]))
    (answer,) = assessments(sent)
    assert answer.history_digest == assessment_from(declaration, policy, first).history_digest


def dead_letters(sent: list) -> list[tuple]:
    return [m for call in sent for m in call if "dlq-error-code" in dict(m[4])]


def test_a_declaration_whose_assessment_fails_is_set_aside_and_the_batch_goes_on(
    declaration, policy, monkeypatch
):
    """A defect in assessing one declaration makes it a dead letter with its original bytes
    and where they came in; without this the batch raised, and the worker stopped at it again
    after every restart. The others of the batch are answered, and a copy gets the same
    dead letter."""
    raw = EXAMPLE.read_bytes()
    other_raw = raw.replace(b"CN-EXP-2026-0000123", b"CN-EXP-2026-0000999")
    other = parse_declaration(other_raw)
    real_assess = gather_module.assess

    def assess_failing_once(d, *args, **kwargs):
        if d.declaration_id == declaration.declaration_id:
            raise ZeroDivisionError("a defect")
        return real_assess(d, *args, **kwargs)

    monkeypatch.setattr(gather_module, "assess", assess_failing_once)
    gather, sent = make_gather(policy)
    items = [
        item
        for d, bytes_ in ((declaration, raw), (other, other_raw))
        for item in (
            declaration_item(d, policy, bytes_),
            features_of(d, policy, applied_before=False),
        )
    ]
    asyncio.run(gather.batch([GatherEvent(items, 0)]))
    ((_, _, key, value, headers),) = dead_letters(sent)
    headers = dict(headers)
    assert (key, value) == (b"key", raw)
    assert headers["dlq-error-code"] == b"processing-error"
    assert headers["dlq-reason"] == b"ZeroDivisionError: a defect"
    assert (headers["dlq-source-topic"], headers["dlq-source-partition"]) == (b"declarations", b"2")
    assert headers["dlq-source-offset"] == b"77" and headers["x"] == b"\xff"
    assert [a.declaration_id for a in assessments(sent)] == [other.declaration_id]

    copy = declaration_item(declaration, policy, raw)
    asyncio.run(gather.batch([GatherEvent([copy], 0)]))
    assert dead_letters(sent)[1][3] == raw


def test_a_declaration_sent_before_its_original_bytes_travelled_is_answered(declaration, policy):
    """Gather items and pending rows of an earlier version carry the declaration itself."""
    gather, sent = make_gather(policy)
    earlier = declaration_item(declaration, policy)
    for field in ("declaration_id", "raw", "origin"):
        del earlier[field]
    earlier["declaration"] = declaration.model_dump(mode="json")
    first = features_of(declaration, policy, applied_before=False)
    asyncio.run(gather.batch([GatherEvent([earlier, first], 0)]))
    (answer,) = assessments(sent)
    assert answer.history_digest == assessment_from(declaration, policy, first).history_digest


def test_features_that_answered_a_row_written_with_it_send_the_answer_again_in_a_replay(
    declaration, policy
):
    """Features of a history applied in-process by another worker come through the gather
    topic; the row goes out before the answer, which a crash may stop. Read again, the
    record that answered sends the answer again; a copy's features (the declaration came in
    elsewhere) and those of a replay of screen's batch (its declaration recalls) do not."""
    gather, sent = make_gather(policy)
    partition = partition_of(declaration.declaration_id, PARTITIONS)
    asyncio.run(gather.batch([GatherEvent([declaration_item(declaration, policy)], partition)]))
    first = features_of(declaration, policy, applied_before=False) | {"source": [2, 77]}
    answering = {**first, "unordered": True}
    asyncio.run(gather.batch([GatherEvent([answering], partition)]))
    (answer,) = assessments(sent)
    assert gather.waiting.get(declaration.declaration_id) is None  # written with the answer
    asyncio.run(gather.batch([GatherEvent([answering], partition)]))  # the replay
    assert assessments(sent) == [answer, answer]
    copy = features_of(declaration, policy, applied_before=True) | {"source": [2, 90]}
    handed_on(gather, [copy], redelivered=set(), ordered=False)
    replayed = features_of(declaration, policy, applied_before=True) | {"source": [2, 77]}
    handed_on(gather, [replayed], redelivered={declaration.declaration_id}, ordered=False)
    asyncio.run(gather.batch([GatherEvent(to_gather_topic(sent), partition)]))
    assert assessments(sent) == [answer, answer]


def test_ordered_features_of_an_answered_row_are_dropped(declaration, policy):
    """Its row was held, not written with the answer: a replay of the topic merges them into
    the row as it was (or finds it answered only once the answer was out)."""
    gather, sent = make_gather(policy)
    partition = partition_of(declaration.declaration_id, PARTITIONS)
    asyncio.run(gather.batch([GatherEvent([declaration_item(declaration, policy)], partition)]))
    first = features_of(declaration, policy, applied_before=False) | {"source": [2, 77]}
    asyncio.run(gather.batch([GatherEvent([first], partition)]))
    asyncio.run(gather.batch([GatherEvent([first], partition)]))
    assert len(assessments(sent)) == 1


def test_a_declaration_merged_here_is_assessed_as_screen_parsed_it(
    declaration, policy, monkeypatch
):
    """Not parsed again from its bytes; a parse kept for other bytes (a copy that differs) is
    not used."""
    parses: list[str] = []
    real_parse = gather_module.parse_declaration

    def counted(raw):
        parses.append(raw)
        return real_parse(raw)

    monkeypatch.setattr(gather_module, "parse_declaration", counted)
    gather, sent = make_gather(policy)
    first = features_of(declaration, policy, applied_before=False)
    handed_on(gather, [dict(first)], redelivered=set(), ordered=False)
    item = declaration_item(declaration, policy)
    asyncio.run(gather.declarations([item], [Event()], [], parsed=[declaration]))
    (answer,) = assessments(sent)
    assert parses == [] and not gather.parsed

    gather, sent = make_gather(policy)
    gather.parsed[declaration.declaration_id] = ("other bytes", declaration)
    handed_on(gather, [dict(first)], redelivered=set(), ordered=False)
    asyncio.run(gather.declarations([item], [Event()], []))
    assert len(parses) == 1 and assessments(sent)[0].history_digest == answer.history_digest


def ledger_alerts(sent: list) -> list[dict]:
    """The alert items published to the entity topic, for the entities' ledgers."""
    return items_sent_to(sent, "entities")


def test_alerts_for_the_ledgers_applied_here_are_handed_back_and_sent_again_with_a_recall(
    declaration, policy
):
    """Screen's declarations: the alerts of a declaration whose ledgers this worker all holds
    are returned, not published; with one ledger elsewhere they all go with the answer. A
    replayed declaration recalls its answer and sends its ledgers' alerts again: the crash
    may have come before they were recorded."""
    entities = sorted({e.key for e in scatter(declaration, policy)})
    first = features_of(declaration, policy, applied_before=False)
    item = declaration_item(declaration, policy)
    kept_when = {}
    for held in (set(entities), set(entities[1:])):
        gather, sent = make_gather(policy)
        gather.ledgers_here = held.__contains__
        handed_on(gather, [dict(first)], redelivered=set(), ordered=False)
        _, kept = asyncio.run(gather.declarations([dict(item)], [Event()], []))
        (answer,) = assessments(sent)
        assert answer.score >= policy.document.scoring.alert_threshold  # the example alerts
        kept_when[len(held)] = ({a["key"] for a in kept}, {a["key"] for a in ledger_alerts(sent)})
        assert {a["declaration_id"] for a in kept + ledger_alerts(sent)} == {answer.declaration_id}
    assert kept_when[len(entities)] == (set(entities), set())
    assert kept_when[len(entities) - 1] == (set(), set(entities))

    _, again = asyncio.run(gather.declarations([dict(item)], [Event()], []))  # the replay
    assert assessments(sent) == [answer, answer] and again == []
    assert len(ledger_alerts(sent)) == 2 * len(entities)


def test_the_pending_lock_is_let_go_while_an_answer_is_on_its_way(declaration, policy):
    """Another agent merges meanwhile, and reads the answered row from what was sent."""
    gather, _ = make_gather(policy)
    first = features_of(declaration, policy, applied_before=False)
    item = declaration_item(declaration, policy)

    async def scenario():
        broker = asyncio.Event()

        async def publish(messages):
            if messages:
                await broker.wait()
            return [SimpleNamespace(topic="changelog", offset=n) for n in range(len(messages))]

        gather.publish = gather.waiting.publish = publish
        await (await gather.features([first], set(), ordered=False))  # merged, not answered
        answering = asyncio.ensure_future(gather.declarations([item], [Event()], []))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not answering.done() and not gather.waiting.lock.locked()
        assert gather.waiting.get(declaration.declaration_id)["outgoing"]
        broker.set()
        await answering
        assert gather.waiting.get(declaration.declaration_id) is None  # in the store

    asyncio.run(scenario())


def counted(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def test_a_copy_is_counted_as_answered_again_not_as_assessed_again(declaration, policy):
    """consumed == assessed + answered again + dead-lettered: a copy sent while its
    declaration waits for features, or after its answer, gets that answer and is counted
    once, as answered again."""
    before = {
        name: counted(name)
        for name in (
            "screener_declarations_assessed_total",
            "screener_declarations_answered_again_total",
        )
    }

    def moved() -> tuple[float, float]:
        return tuple(counted(name) - n for name, n in before.items())

    gather, sent = make_gather(policy)
    partition = partition_of(declaration.declaration_id, PARTITIONS)
    copies = [declaration_item(declaration, policy)] * 2  # sent twice before the answer
    asyncio.run(gather.batch([GatherEvent(copies, partition)]))
    first = features_of(declaration, policy, applied_before=False)
    asyncio.run(gather.batch([GatherEvent([first], partition)]))
    assert len(assessments(sent)) == 2
    assert moved() == (1, 1)
    asyncio.run(gather.batch([GatherEvent([declaration_item(declaration, policy)], partition)]))
    assert len(assessments(sent)) == 3  # the first answer again
    assert moved() == (1, 2)


def as_first_sent() -> bytes:
    """The example declaration as first sent, before its consignee was amended (the
    example is the amended one)."""
    data = orjson.loads(EXAMPLE.read_bytes())
    data["parties"]["consignee"] = {
        "id": None,
        "name": "Bangna Motor Parts Co., Ltd.",
        "country": "TH",
        "address": "Bangna, Bangkok",
    }
    data["amendments"] = []
    return orjson.dumps(data)


def test_an_amended_declaration_is_screened_anew_and_its_copy_gets_that_answer(policy):
    """The same declaration id with other bytes is the declaration amended: it gets an
    answer of its own, whichever of its parts comes first, not the first version's."""
    gather, sent = make_gather(policy)
    first_raw, amended_raw = as_first_sent(), EXAMPLE.read_bytes()

    def parts(raw: bytes) -> tuple[dict, dict, int]:
        declaration = parse_declaration(raw)
        key = answer_key(declaration.declaration_id, raw)
        item = declaration_item(declaration, policy, raw) | {"answer": key}
        features = features_of(declaration, policy, applied_before=False) | {"answer": key}
        return item, features, partition_of(key, PARTITIONS)

    item, features, partition = parts(first_raw)
    asyncio.run(gather.batch([GatherEvent([item, features], partition)]))
    item, features, partition = parts(amended_raw)
    asyncio.run(gather.batch([GatherEvent([features], partition)]))  # before its declaration
    asyncio.run(gather.batch([GatherEvent([item], partition)]))
    asyncio.run(gather.batch([GatherEvent([item], partition)]))  # a copy of the amendment
    first, amended, copy = assessments(sent)
    assert first.declaration_id == amended.declaration_id
    assert "LATE_PARTY_AMENDMENT" not in {hit.code for hit in first.indicators}
    assert "LATE_PARTY_AMENDMENT" in {hit.code for hit in amended.indicators}
    assert copy == amended
