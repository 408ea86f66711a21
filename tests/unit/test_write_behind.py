"""Rows held between flushes: written once however many batches changed them, and the input
events acknowledged only after the rows are on the changelog and in the store."""

import asyncio
from types import SimpleNamespace

import pytest

from screener.observability import metrics
from screener.stream import write_behind
from screener.stream.write_behind import WriteBehind
from tests.unit.test_table_writes import Table, ack


class Message:
    """faust's reference count: one reference per stream; the last ack commits the offset."""

    def __init__(self) -> None:
        self.refcount = 1
        self.committable = False

    def incref(self) -> None:
        self.refcount += 1

    def ack(self) -> None:
        self.refcount -= 1
        self.committable = self.refcount == 0


class Event:
    def __init__(self) -> None:
        self.message = Message()

    def ack(self) -> None:
        self.message.ack()


def run(coro):
    return asyncio.run(coro)


async def flushed_due(behind: WriteBehind) -> None:
    """A due flush, and its rows written (they go in the background)."""
    await behind.flush_due()
    await behind.settled()


@pytest.fixture
def now(monkeypatch) -> list[float]:
    """The clock write_behind reads, set by the test: now[0] = seconds."""
    now = [0.0]
    clock = SimpleNamespace(monotonic=lambda: now[0], perf_counter=lambda: now[0])
    monkeypatch.setattr(write_behind, "time", clock)
    return now


def test_rows_are_written_once_at_the_flush_and_their_events_acked_after_it():
    table, published = Table(), []
    events = [Event(), Event(), Event()]

    async def publish(records):
        # Nothing is committable before the changelog has the rows.
        assert not any(e.message.committable for e in events)
        published.extend(records)
        return [
            SimpleNamespace(topic="app-history-changelog", offset=n) for n in range(len(records))
        ]

    behind = WriteBehind(table, lambda row: repr(row).encode(), publish, interval=3600)
    behind.hold(events[:2], {"hs6:850511": (3, {"n": 1}), "party:a": (1, {"n": 1})})
    behind.hold(events[2:], {"hs6:850511": (3, {"n": 2})})  # a later batch, the same row
    for e in events:
        e.ack()  # what faust does when the agent takes its next batch
    assert not any(e.message.committable for e in events)
    assert behind.get("hs6:850511") == {"n": 2} and not behind.due()

    flushes = metrics.TABLE_FLUSH.labels(table="history")._sum.get()
    run(behind.flush())
    assert metrics.TABLE_FLUSH.labels(table="history")._sum.get() > flushes  # timed
    assert sorted((p, k, v) for _, p, k, v, _ in published) == [
        (1, b"party:a", b"{'n': 1}"),
        (3, b"hs6:850511", b"{'n': 2}"),
    ]
    assert len(table.applied) == 2  # in the local store, with their changelog offsets
    assert all(e.message.committable for e in events)
    assert behind.get("hs6:850511") is None and not behind.due()


def test_a_flush_is_due_after_the_interval_and_nothing_held_publishes_nothing():
    async def publish(records):
        raise AssertionError("nothing to publish")

    behind = WriteBehind(Table(), repr, publish, interval=0)
    assert not behind.due()
    run(behind.flush())
    behind.hold([Event()], {"lane:CN>TH": (0, {})})
    assert behind.due()


def test_dropped_rows_leave_their_events_unacknowledged():
    behind = WriteBehind(Table(), repr, None, interval=0)
    event = Event()
    behind.hold([event], {"party:a": (0, {})})
    event.ack()
    behind.drop()
    assert not event.message.committable and behind.get("party:a") is None


def test_a_due_flush_writes_the_rows_held_longest_and_acks_the_batches_they_complete(now):
    """interval 4 s in 4 slices: a due flush writes what was held 3 s ago or before."""
    assert write_behind.SLICES == 4
    table, published = Table(), []

    async def publish(records):
        published.append(sorted(key.decode() for _, _, key, _, _ in records))
        return [SimpleNamespace(topic="changelog", offset=n) for n in range(len(records))]

    behind = WriteBehind(table, lambda row: repr(row).encode(), publish, interval=4)
    a, b, c = Event(), Event(), Event()
    behind.hold([a], {"x": (0, 1), "y": (0, 1)})
    now[0] = 2
    behind.hold([b], {"y": (0, 2), "z": (1, 1)})  # y held already: it keeps its time
    for e in (a, b):
        e.ack()
    now[0] = 3.5
    run(flushed_due(behind))
    assert published == [] and not behind.due()

    now[0] = 4  # x and y held for an interval; z, held at 2, not yet for 3 s
    run(flushed_due(behind))
    assert published == [["x", "y"]]
    assert [r.value for r in table.applied] == [b"1", b"2"]  # y as batch b left it
    assert a.message.committable and not b.message.committable
    assert behind.get("x") is None and behind.get("z") == 1

    now[0] = 4.5
    behind.hold([c], {"x": (0, 3)})  # written, then changed again: held anew, from now
    c.ack()
    now[0] = 6  # z and batch b held for an interval; x since 4.5
    run(flushed_due(behind))
    assert published[1:] == [["z"]]
    assert b.message.committable and not c.message.committable

    run(behind.flush())  # everything, as before a rebalance
    assert published[2:] == [["x"]] and c.message.committable
    assert not behind.rows and not behind.due()


def test_a_batch_that_changed_no_row_is_acknowledged_in_its_turn(now):

    async def publish(records):
        raise AssertionError("no row to publish")

    behind = WriteBehind(Table(), repr, publish, interval=1)
    event = Event()
    behind.hold([event], {})  # gather: copies of answered declarations change nothing
    event.ack()
    assert not behind.due() and not event.message.committable
    now[0] = 1
    assert behind.due()
    run(flushed_due(behind))
    assert event.message.committable and not behind.due()


def test_a_table_written_after_another_writes_all_the_rows_owed_to_it_first(now):
    """History rows go out only after every pending row that took features in-process (held
    owed), even one held after the slice: a history row keeps the time it was first held,
    and may hold the change of a later batch whose features only the pending row keeps.
    Pending rows that owe nothing keep their own pace."""
    order: list[str] = []

    def publisher(name):
        async def publish(records):
            order.extend(f"{name}:{key.decode()}" for _, _, key, _, _ in records)
            return [SimpleNamespace(topic=name, offset=n) for n in range(len(records))]

        return publish

    history = WriteBehind(Table(), repr, publisher("history"), interval=4)
    pending = WriteBehind(Table(), repr, publisher("pending"), interval=4)
    history.writes_after(pending)
    early, late, screened = Event(), Event(), Event()
    history.hold([early], {"hs6:850511": (0, 1)})
    now[0] = 3.9
    pending.hold([screened], {"d-2": (1, {"raw": "..."})})  # a declaration from screen
    pending.hold((), {"d-1": (2, {"features": 1})}, owed=True)  # merged by the later batch
    history.hold([late], {"hs6:850511": (0, 2)})  # the same row, changed again
    now[0] = 4
    run(flushed_due(history))
    assert order == ["pending:d-1", "history:hs6:850511"]
    early.ack()
    assert early.message.committable and pending.get("d-1") is None
    assert pending.get("d-2") is not None and screened.message.refcount == 2  # not yet

    late.ack()
    run(history.flush())  # the later batch's row went out already; nothing owed is left
    assert order == ["pending:d-1", "history:hs6:850511"] and late.message.committable
    assert pending.get("d-2") is not None  # pending rows that owe nothing keep their pace
    run(pending.flush())
    assert order[-1] == "pending:d-2" and not pending.rows


def test_rows_written_with_a_publish_leave_what_is_held():
    """An answered pending row goes out with its answer, before it; the version held before
    must not overwrite it at the next flush."""
    table, published = Table(), []

    async def publish(records):
        published.append(list(records))
        return [ack(n) for n in range(len(records))]

    behind = WriteBehind(table, lambda row: repr(row).encode(), publish, interval=3600)
    event = Event()
    behind.hold([event], {"d1": (2, {"features": 1}), "d2": (0, {"features": 2})}, owed=True)
    answer = ("out", None, b"d1", b"answer", [])

    async def send():
        sending = behind.send_with([answer], {"d1": (2, {"answered": 1})})
        assert behind.get("d1") == {"answered": 1}  # read from here till the store has it
        return await sending

    assert run(send()) == [ack(1)]
    assert published[0][1] == answer and published[0][0][2:4] == (b"d1", b"{'answered': 1}")
    assert [(c.key, c.value) for c in table.applied] == [(b"d1", b"{'answered': 1}")]
    assert behind.get("d1") is None and behind.get("d2") == {"features": 2}
    run(behind.flush())
    assert [c.key for c in table.applied] == [b"d1", b"d2"]  # d1 not again
    event.ack()
    assert event.message.committable


def test_a_background_flush_lets_the_agent_go_on_and_keeps_what_changed_meanwhile(now):
    """The agent waits only while the rows are encoded. Until the broker has them they are
    still read from what is held; one flush is on its way at a time; a row changed during
    the wait stays held, from then, and the batch that changed it is acknowledged by a later
    flush."""
    table, published = Table(), []

    async def scenario():
        broker = asyncio.Event()

        async def publish(records):
            published.append([(key.decode(), value) for _, _, key, value, _ in records])
            await broker.wait()
            return [ack(n) for n in range(len(records))]

        behind = WriteBehind(table, lambda r: repr(r).encode(), publish, 1)
        first, second = Event(), Event()
        behind.hold([first], {"x": (0, 1), "y": (0, 1)})
        first.ack()
        now[0] = 1
        await behind.flush_due()  # returns at once: the rows wait for the broker meanwhile
        await asyncio.sleep(0)
        assert published == [[("x", b"1"), ("y", b"1")]] and not table.applied
        now[0] = 1.5
        behind.hold([second], {"y": (0, 2)})  # the agent went on and changed y again
        second.ack()
        await behind.flush_due()  # x is due, but one flush is on its way at a time
        await asyncio.sleep(0)
        assert len(published) == 1 and behind.get("x") == 1
        broker.set()
        await behind.settled()
        assert [(c.key, c.value) for c in table.applied] == [(b"x", b"1"), (b"y", b"1")]
        assert first.message.committable and not second.message.committable
        assert behind.get("x") is None and behind.get("y") == 2  # y: changed since
        assert not behind.due()  # held from 1.5, not 0: written an interval after its change
        now[0] = 3
        await behind.flush_due()
        await behind.settled()
        assert published[1] == [("y", b"2")] and table.applied[-1].value == b"2"
        assert second.message.committable and not behind.rows

    run(scenario())


def history_after_pending(
    order: list[str], broker: dict[str, asyncio.Event] | None = None
) -> tuple[WriteBehind, WriteBehind]:
    """A history table written after a pending table (interval 1 s). Each publish records
    when it is sent and when acknowledged: once `broker[table]` is set, if given."""

    def publisher(name):
        async def publish(records):
            order.append(f"{name} sent")
            await (broker[name].wait() if broker else asyncio.sleep(0))
            order.append(f"{name} acknowledged")
            return [ack(n) for n in range(len(records))]

        return publish

    history = WriteBehind(Table(), repr, publisher("history"), 1)
    pending = WriteBehind(Table(), repr, publisher("pending"), 1)
    history.writes_after(pending)
    return history, pending


PENDING_THEN_HISTORY = [
    "pending sent",
    "pending acknowledged",
    "history sent",
    "history acknowledged",
]


def test_a_background_flush_writes_the_owed_rows_of_the_table_before_it_first(now):
    order: list[str] = []

    async def scenario():
        history, pending = history_after_pending(order)
        pending.hold((), {"d-1": (2, {"features": 1})}, owed=True)
        history.hold([Event()], {"hs6:850511": (0, 1)})
        now[0] = 1
        await history.flush_due()
        await history.settled()
        assert order == PENDING_THEN_HISTORY

    run(scenario())


def test_owed_rows_go_out_with_their_table_free_for_its_agents(now):
    """The lock of the table written first is held only to take its owed rows: its agents
    merge on while the broker acknowledges them."""
    order: list[str] = []

    async def scenario():
        broker = {"pending": asyncio.Event(), "history": asyncio.Event()}
        history, pending = history_after_pending(order, broker)
        pending.hold((), {"d-1": (2, {"features": 1})}, owed=True)
        history.hold([Event()], {"hs6:850511": (0, 1)})
        now[0] = 1
        await history.flush_due()
        for _ in range(5):
            await asyncio.sleep(0)
        assert order == ["pending sent"] and not pending.lock.locked()
        broker["pending"].set()
        broker["history"].set()
        await history.settled()
        assert order == PENDING_THEN_HISTORY

    run(scenario())


def test_owed_rows_on_their_way_in_a_background_flush_are_acknowledged_before_rows_after(
    now,
):
    """Both tables in the background: the owed row a flush of the first table has taken is
    not held any more, and the later table's rows still wait till the broker has it."""
    order: list[str] = []

    async def scenario():
        broker = {"pending": asyncio.Event(), "history": asyncio.Event()}
        history, pending = history_after_pending(order, broker)
        pending.hold([Event()], {"d-1": (2, {"features": 1})}, owed=True)
        now[0] = 1
        await pending.flush_due()  # d-1 is on its way
        await asyncio.sleep(0)
        history.hold([Event()], {"hs6:850511": (0, 1)})
        now[0] = 2
        await history.flush_due()
        for _ in range(5):
            await asyncio.sleep(0)
        assert order == ["pending sent"]  # history waits for it
        broker["history"].set()
        broker["pending"].set()
        await history.settled()
        assert order == PENDING_THEN_HISTORY

    run(scenario())


def test_rows_written_with_a_publish_wait_for_the_flush_on_its_way(now):
    """Else the flush's older version of a row would reach the store after the newer."""
    table = Table()

    async def scenario():
        acks = [asyncio.Event(), asyncio.Event()]  # the broker answers the second call first
        calls = iter(acks)

        async def publish(records):
            await next(calls).wait()
            return [ack(n) for n in range(len(records))]

        behind = WriteBehind(table, lambda r: repr(r).encode(), publish, 1)
        behind.hold([Event()], {"d1": (0, {"features": 1})})
        now[0] = 1
        await behind.flush_due()
        answered = behind.send_with([], {"d1": (0, {"answered": 1})})
        await asyncio.sleep(0)
        acks[1].set()
        await asyncio.sleep(0)
        acks[0].set()
        await answered
        assert [c.value for c in table.applied] == [b"{'features': 1}", b"{'answered': 1}"]

    run(scenario())


def test_rows_held_after_a_send_wait_for_its_acknowledgement(now):
    """What a batch sent (an answer, features) is on its way when its rows are held and
    the lock let go: no flush writes them before the broker has it."""
    table, order = Table(), []

    async def scenario():
        broker = asyncio.Event()

        async def publish(records):
            order.append([key for _, _, key, _, _ in records])
            if records[0][0] == "out":
                await broker.wait()
            return [ack(n) for n in range(len(records))]

        behind = WriteBehind(table, lambda r: repr(r).encode(), publish, 1)
        event = Event()
        sending = behind.send_with([("out", None, b"answer", b"", [])], {})
        behind.hold([event], {"d1": (0, {"features": 1})}, after=sending)
        event.ack()
        now[0] = 1
        await behind.flush_due()
        for _ in range(5):
            await asyncio.sleep(0)
        assert order == [[b"answer"]] and not table.applied  # the flush waits
        broker.set()
        await behind.settled()
        assert order == [[b"answer"], [b"d1"]] and event.message.committable

    run(scenario())


def test_a_background_flush_that_fails_stops_the_worker(monkeypatch):
    stopped: list[str] = []
    monkeypatch.setattr(write_behind, "stop_before_commit", stopped.append)

    async def publish(records):
        raise OSError("the broker went away")

    async def scenario():
        behind = WriteBehind(Table(), repr, publish, 0)
        behind.hold([Event()], {"x": (0, 1)})
        await behind.flush_due()
        await behind.settled()

    run(scenario())
    assert stopped == ["writing history rows failed"]
