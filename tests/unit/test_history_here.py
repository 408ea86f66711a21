"""History applied in-process: screen's entity events for the entity partitions held here
skip the entity topic, but only once the history agent has applied every record of the
partition written before; and screen's batch is acknowledged only once their rows are
written."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import faust
import orjson
import pytest

from screener.core.history import EntityRow, scatter
from screener.core.intake import parse_declaration
from screener.settings import Settings
from screener.stream.answers import answer_key
from screener.stream.history import History
from screener.stream.hops import partition_of
from tests.unit.test_write_behind import Event

EXAMPLE = Path(__file__).parents[2] / "contracts/examples/shipment-declaration.magnets-via-th.json"
PARTITIONS = 6
DECLARATIONS_PARTITION = 2


class TopicEvent(Event):
    """An entity-topic record as the history agent gets it."""

    def __init__(self, items: list[dict], partition: int, offset: int) -> None:
        super().__init__()
        self.message.value = orjson.dumps(items)
        self.message.partition = partition
        self.message.offset = offset


@pytest.fixture
def declaration():
    return parse_declaration(EXAMPLE.read_bytes())


def make_history(sent: list | None = None) -> tuple[History, list, list]:
    app = faust.App("test-history", broker="kafka://127.0.0.1:1", store="memory://")
    table = app.Table("history", partitions=PARTITIONS, key_type=bytes, value_type=bytes)
    sent = [] if sent is None else sent
    handed_on: list = []

    async def publish(messages):
        sent.append(list(messages))
        return [
            SimpleNamespace(topic="changelog", partition=0, offset=n)
            for n, _ in enumerate(messages)
        ]

    async def hand_on(items, redelivered):
        handed_on.append((items, redelivered))

    history = History(
        app, Settings(internal_partitions=PARTITIONS), table, publish, app.topic("entities")
    )
    return history, handed_on, hand_on


async def flushed_due(history: History) -> None:
    """A due flush, and its rows written (history writes in the background)."""
    await history.flush_due()
    await history.behind.settled()


def updates_of(declaration, policy, offset: int) -> list:
    source = (DECLARATIONS_PARTITION, offset)
    answer = answer_key(declaration.declaration_id, EXAMPLE.read_bytes())
    return [(e, source, answer) for e in scatter(declaration, policy)]


def topic_event(update, offset: int) -> TopicEvent:
    e, source, answer = update
    item = {"t": "event", "event": e.to_dict(), "source": list(source), "answer": answer}
    return TopicEvent([item], partition_of(e.key, PARTITIONS), offset)


def opened_after(history: History, hand_on, update, offset: int) -> bool:
    """Whether the update's partition takes screen's events once the history agent has
    applied its record at `offset`."""
    asyncio.run(history.batch([topic_event(update, offset)], hand_on))
    history.open_caught_up()
    return partition_of(update[0].key, PARTITIONS) in history.held_here


def test_screen_events_wait_for_the_records_there_at_the_assignment(declaration, policy):
    history, _, hand_on = make_history()
    first = updates_of(declaration, policy, offset=10)[0]
    partition = partition_of(first[0].key, PARTITIONS)
    history.catch_up({partition: 4, (partition + 1) % PARTITIONS: 0})
    history.open_caught_up()
    assert history.held_here == {(partition + 1) % PARTITIONS}  # nothing to catch up there
    assert not opened_after(history, hand_on, first, offset=2)
    assert opened_after(history, hand_on, first, offset=3)


def test_screen_events_wait_for_the_records_screen_sent_since(declaration, policy):
    """Sent through the topic while the partition caught up: an event applied in-process
    before them would make them look like replays."""
    history, _, hand_on = make_history()
    first = updates_of(declaration, policy, offset=10)[0]
    partition = partition_of(first[0].key, PARTITIONS)
    history.catch_up({partition: 4})
    history.sent([SimpleNamespace(topic="entities", partition=partition, offset=6)])
    history.sent([SimpleNamespace(topic="other", partition=partition, offset=60)])
    assert not opened_after(history, hand_on, first, offset=3)
    assert opened_after(history, hand_on, first, offset=6)


def test_screen_events_held_here_are_applied_and_the_rest_sent_back(declaration, policy):
    """Applied here: their features handed on; screen's events acknowledged only once the
    rows are written."""
    history, handed_on, hand_on = make_history()
    updates = updates_of(declaration, policy, offset=10)
    partitions = {partition_of(e.key, PARTITIONS) for e, *_ in updates}
    held = set(list(sorted(partitions))[:-1])
    history.catch_up({p: 0 for p in held})
    history.open_caught_up()
    screened = Event()
    elsewhere, sent = asyncio.run(history.here(updates, [screened], hand_on))
    assert sent is None  # the stand-in hands on without sending
    assert elsewhere == [u for u in updates if partition_of(u[0].key, PARTITIONS) not in held]
    applied_here = [u for u in updates if u not in elsewhere]
    ((items, redelivered),) = handed_on
    assert redelivered == set()
    assert set(items[0]["features"]) == {e.key for e, *_ in applied_here}
    assert items[0]["source"] == [DECLARATIONS_PARTITION, 10]  # where it came in
    for e, *_ in applied_here:  # the features of the entity before the declaration
        assert items[0]["features"][e.key] == EntityRow.new(e.kind).observe(e)
    screened.ack()  # faust's, when screen takes its next batch
    assert not screened.message.committable
    asyncio.run(history.behind.flush())
    assert screened.message.committable
    key = applied_here[0][0].key
    stored = EntityRow.from_dict(orjson.loads(history.table[key.encode()]))
    assert stored.history.declarations == 1
    assert stored.sources == {DECLARATIONS_PARTITION: 10}


def test_a_replay_applied_here_is_recognised(declaration, policy):
    """After a crash the declaration is read again: its events, applied in-process again,
    are not counted twice, and their features are marked as a redelivery's."""
    history, handed_on, hand_on = make_history()
    updates = updates_of(declaration, policy, offset=10)
    history.catch_up({p: 0 for p in range(PARTITIONS)})
    history.open_caught_up()
    asyncio.run(history.here(updates, [Event()], hand_on))
    asyncio.run(history.behind.flush())
    asyncio.run(history.here(updates, [Event()], hand_on))
    assert handed_on[-1][1] == {updates[0][2]}  # its answer key
    key = updates[0][0].key
    stored = EntityRow.from_dict(orjson.loads(history.table[key.encode()]))
    assert stored.history.declarations == 1


def test_events_held_here_are_applied_here_and_the_others_sent(declaration, policy):
    """Event by event, in the order they came: a declaration with one entity elsewhere
    waits for that round trip, but the rest of it skips the topic. The partitions held
    here stay open: no event goes to the topic for them, so none there can be overtaken
    by a later one applied here."""
    history, _, _ = make_history()
    earlier = updates_of(declaration, policy, offset=10)
    later = updates_of(declaration, policy, offset=11)
    partitions = {partition_of(e.key, PARTITIONS) for e, *_ in earlier}
    assert len(partitions) > 1
    history.held_here.update(partitions)
    assert history.split(earlier + later) == (earlier + later, [])
    elsewhere = min(partitions)
    history.held_here.discard(elsewhere)
    here, there = history.split(earlier + later)
    assert here == [u for u in earlier + later if partition_of(u[0].key, PARTITIONS) != elsewhere]
    assert there == [u for u in earlier + later if partition_of(u[0].key, PARTITIONS) == elsewhere]
    assert here and there
    assert history.held_here == partitions - {elsewhere}


def test_screen_events_applied_here_are_written_when_screen_flushes(declaration, policy):
    """Not at the end of `here`, even when a flush is due: it would first write the pending
    rows their features went to, which their declarations answer a moment later."""
    history, _, hand_on = make_history()
    history.behind.interval = 0.0  # a flush is always due
    updates = updates_of(declaration, policy, offset=10)
    history.catch_up({p: 0 for p in range(PARTITIONS)})
    history.open_caught_up()
    assert asyncio.run(history.here(updates, [Event()], hand_on)) == ([], None)
    assert history.behind.rows and not history.table  # held
    asyncio.run(flushed_due(history))
    assert not history.behind.rows and len(history.table) == len({e.key for e, *_ in updates})


def test_alerts_for_the_ledgers_held_here_are_recorded_here(declaration, policy):
    """Screen's batch is acknowledged once they are written; the alert for an entity whose
    partition moved away goes to the entity topic; an alert recorded twice counts once."""
    sent: list = []
    history, _, hand_on = make_history(sent)
    updates = updates_of(declaration, policy, offset=10)
    history.catch_up({p: 0 for p in range(PARTITIONS)})
    history.open_caught_up()
    asyncio.run(history.here(updates, [Event()], hand_on))
    asyncio.run(flushed_due(history))
    keys = sorted({e.key for e, *_ in updates})
    moved = partition_of(keys[0], PARTITIONS)
    history.held_here.discard(moved)
    alerts = [
        {"t": "alert", "key": key, "declaration_id": declaration.declaration_id, "declared_at": 1}
        for key in keys
    ]
    screened = Event()
    before = len(sent)
    asyncio.run(history.ledgers(alerts, [screened]))
    asyncio.run(history.ledgers(alerts, [Event()]))  # a replay
    published = [orjson.loads(m[3]) for call in sent[before:] for m in call]
    assert [a["key"] for items in published for a in items] == 2 * [
        k for k in keys if partition_of(k, PARTITIONS) == moved
    ]
    screened.ack()
    assert not screened.message.committable
    asyncio.run(history.behind.flush())
    assert screened.message.committable
    for key in keys:
        row = EntityRow.from_dict(orjson.loads(history.table[key.encode()]))
        assert row.history.alerts == (partition_of(key, PARTITIONS) != moved)


def test_the_history_lock_is_let_go_while_what_gather_sent_is_on_its_way(declaration, policy):
    """`here` returns with the features on their way, for screen to wait for with its own
    publish; the rows are not written, nor the batch acknowledged, before the broker has
    them."""
    history, _, _ = make_history()
    updates = updates_of(declaration, policy, offset=10)
    history.catch_up({p: 0 for p in range(PARTITIONS)})
    history.open_caught_up()

    async def scenario():
        broker = asyncio.Event()

        async def hand_on(items, redelivered):
            return asyncio.ensure_future(broker.wait())

        screened = Event()
        elsewhere, sent = await history.here(updates, [screened], hand_on)
        assert elsewhere == [] and not sent.done()  # on its way, screen waits for it
        assert not history.behind.lock.locked()
        screened.ack()
        flushing = asyncio.ensure_future(history.behind.flush())
        for _ in range(5):
            await asyncio.sleep(0)
        assert not flushing.done() and not history.table  # waits for the features
        broker.set()
        await sent
        await flushing
        assert len(history.table) == len({e.key for e, *_ in updates})
        assert screened.message.committable

    asyncio.run(scenario())
