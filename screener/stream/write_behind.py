"""Table rows written behind the batches that changed them, a few times a second.

At moderate rates an agent's batches hold a few declarations each, and the busy rows (an HS6
code, a main lane, a hub) were encoded, sent to the changelog and written to RocksDB once per
batch: 8.5 history changelog records per declaration at 300 decl/s against 3.3 at
saturation. Here a batch's changed rows are held in memory (decoded) until the next flush,
which writes each row once however many batches changed it.

What keeps this safe is the order of three things:

1. rows are written only after what the batches that changed them sent (features, answers)
   is acknowledged by the broker (`hold`'s `after`), and after the rows of a table written
   first that hold what they caused (`writes_after`), so a flushed row never holds a
   declaration whose features or answer were lost;
2. the batch's input events are acknowledged to faust only after the flush that wrote their
   rows, so no offset is committed ahead of the rows it implies; a crash before the flush
   replays the events onto the rows as they were last flushed;
3. one lock for batch and flush: a flush never encodes a row a batch is half-way through.

The lock is held for work, not for the broker: a batch holds its rows with what it sent still
on its way, and lets the lock go while it waits (`send_with`). Held across the round trips,
it made the agents of two workers wait for each other's: screen spent a third of its time
waiting for the history and pending locks at 300 to 850 decl/s.

A flush writes only the rows held for most of an interval, so a busy row still goes out about
once per interval but each flush writes a slice of what is held (`SLICES`). A flush of
everything held at once (hundreds of rows at live rates) held the agent, and the event loop
while it encoded them, for about 30 ms every interval: the slowest 1 % of declarations were
the ones that came then. The batches whose rows are all written are acknowledged: a row
held before or with a batch is written no later than that batch's rows.

A due flush writes in the background: it holds the agent only while it encodes its rows,
and waits for the broker while the agent goes on (for history rows, two round trips several
times a second: the owed rows of the table written first, then these). Waited for, two
workers' pending flushes held gather and screen for a fifth of the time at 300 to 600
decl/s. One such flush is on its way at a time, so rows reach the store in the order they
were sent; a row changed again meanwhile stays held, from then (`_on_way`), and its batch
is acknowledged by a later flush, as any batch held after a flush began.

faust waits for every event to be acknowledged before it gives partitions away in a
rebalance and before it stops, so held rows are flushed first then (`attach`); nothing held
outlives an assignment, and a clean stop leaves nothing to replay.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import takewhile
from typing import Any

import faust

from screener.observability import metrics
from screener.stream.batches import stop_before_commit
from screener.stream.table_writes import TableWrites

log = logging.getLogger(__name__)

Publish = Callable[[Sequence[Any]], Awaitable[list[Any]]]


# A flush writes the rows held for more than (SLICES - 1) / SLICES of the interval: the held
# rows go out in about this many flushes per interval.
SLICES = 4


@dataclass(slots=True)
class _Flush:
    """Rows taken for a flush, encoded, on their way to the changelog and the store."""

    writes: TableWrites
    keys: list[str]
    held_before: float  # the batches held at or before this are acknowledged once written
    started: float
    after: list[asyncio.Future]  # what the batches of these rows sent, still on its way


class WriteBehind:
    """Rows of one table held between flushes, with the input events that changed them."""

    def __init__(
        self,
        table: faust.Table,
        encode: Callable[[Any], bytes | None],
        publish: Publish,
        interval: float,
    ) -> None:
        self.table = table
        self.encode = encode
        self.publish = publish
        self.interval = interval
        self.lock = asyncio.Lock()
        self.rows: dict[str, tuple[int, Any]] = {}  # key -> (partition, decoded row)
        self._since: dict[str, float] = {}  # key -> when held unwritten; oldest first
        self._batches: deque[tuple[float, list[faust.EventT]]] = deque()  # oldest first
        self._first: list[WriteBehind] = []  # tables whose owed rows go out before these
        self._owed: set[str] = set()  # held rows the tables written after this one wait for
        self._on_way: set[str] = set()  # held rows a flush is writing, unchanged since
        self._writing: asyncio.Future | None = None  # the due flush on its way
        self._sending: list[asyncio.Future] = []  # what batches of held rows sent (`hold`)
        self._sent: dict[str, Any] = {}  # rows written now (`send_with`), till the store has them

    def writes_after(self, other: WriteBehind) -> None:
        """Before each flush of these, write every row `other` holds `owed`: a row written
        here never holds a change whose consequences in `other` could still be lost
        (gather's pending rows take features in-process that are published nowhere else).
        All of them, not a slice: a row keeps the time it was first held, so one written
        here may hold changes of batches much later than that. `other`'s lock is taken
        inside this one's: whatever holds `other`'s lock must never wait for this one."""
        self._first.append(other)

    def get(self, key: str) -> Any | None:
        held = self.rows.get(key)
        return self._sent.get(key) if held is None else held[1]

    def hold(
        self,
        events: Iterable[faust.EventT],
        rows: dict[str, tuple[int, Any]],
        owed: bool = False,
        after: asyncio.Future[Any] | None = None,
    ) -> None:
        """Keep a batch's rows until a flush writes them, and its events unacknowledged till
        then (faust acknowledges a batch's events when the agent takes the next batch; one
        more reference per event makes that acknowledgement not the last). `owed`: the rows
        hold what another agent's events caused; a table written after this one writes
        them first (`writes_after`). `after`: what the batch sent, on its way: no flush
        writes these rows before the broker has acknowledged it."""
        if after is not None:
            self._sending = [f for f in self._sending if not f.done()]
            self._sending.append(after)
        now = time.monotonic()
        held = list(events)
        for event in held:
            event.message.incref()
        if held:
            self._batches.append((now, held))
        self.rows.update(rows)
        for key in rows:  # a row held already keeps its place and its time,
            if key in self._on_way:  # unless a flush is writing it as it was: held anew
                self._on_way.discard(key)
                del self._since[key]
            self._since.setdefault(key, now)
        if owed:
            self._owed.update(rows)

    def send_with(
        self, messages: Sequence[Any], rows: dict[str, tuple[int, Any]]
    ) -> asyncio.Future[list[Any]]:
        """Publish `messages` and write `rows` now, not behind, without holding the lock
        while the broker answers. The rows' changelog records go first, in the same round
        trip (a crash in between leaves the rows, not the messages without them), after the
        flush on its way, if any (else its older version would reach the store after these).
        The rows leave what is held at once (an older version held would overwrite them at
        the next flush) and are read from here until the store has them. Returns a future of
        what the broker acknowledged of `messages`; hold the batch's other rows `after` it.
        Call with `lock` held."""
        writes = self._encoded(rows)
        self._forget(rows)
        self._sent.update((key, row) for key, (_, row) in rows.items())
        on_way = self._writing

        async def send() -> list[Any]:
            if on_way is not None and not on_way.cancelled():
                await asyncio.shield(on_way)
            acknowledged = await self._write(writes, messages)
            for key, (_, row) in rows.items():
                if self._sent.get(key) is row:  # not sent again since
                    del self._sent[key]
            return acknowledged

        return asyncio.ensure_future(send())

    def _encoded(self, rows: dict[str, tuple[int, Any]]) -> TableWrites:
        writes = TableWrites(self.table)
        for key, (partition, row) in rows.items():
            writes.set(partition, key.encode(), self.encode(row))
        return writes

    async def _write(self, writes: TableWrites, messages: Sequence[Any] = ()) -> list[Any]:
        """Publish the rows' changelog records, then `messages`, in one round trip; write the
        rows to the local store once the broker has them. Returns what it acknowledged of
        `messages`."""
        records = [(*record, []) for record in writes.records()]
        if not (records or messages):
            return []
        acknowledged = await self.publish([*records, *messages])
        writes.apply(acknowledged[: len(records)])
        return acknowledged[len(records) :]

    def _forget(self, keys: Iterable[str]) -> None:
        """Rows written: no longer held."""
        for key in keys:
            self.rows.pop(key, None)
            self._since.pop(key, None)
            self._owed.discard(key)
            self._on_way.discard(key)

    def _oldest(self) -> float | None:
        """When the oldest row or batch still held was held."""
        row = next(iter(self._since.values()), None)
        batch = self._batches[0][0] if self._batches else None
        return min((t for t in (row, batch) if t is not None), default=None)

    def due(self) -> bool:
        oldest = self._oldest()
        return oldest is not None and time.monotonic() - oldest >= self.interval

    async def flush_due(self) -> None:
        """When something has been held for an interval: write the slice of rows held
        longest, in the background, unless a flush is on its way already (the next batch or
        the timer starts the next one). Call with `lock` held."""
        if not self.due():
            return
        if self._writing is not None and not self._writing.done():
            return  # one on its way at a time: rows reach the store in the order sent
        held_before = time.monotonic() - self.interval * (SLICES - 1) / SLICES
        if (taken := self._take(held_before, owed=False)) is not None:
            self._writing = asyncio.ensure_future(self._finish_or_stop(taken))

    async def flush(self, held_before: float = float("inf"), owed: bool = False) -> None:
        """Publish the rows held at or before `held_before` (all by default), and the rows
        held `owed` if asked, to the changelog, write them to the local store once the
        broker has them, then acknowledge the events of the batches held by then; returns
        once all that is done, after the flush on its way, if any. Call with `lock`
        held."""
        await self.settled()
        if (taken := self._take(held_before, owed)) is not None:
            await self._finish(taken)

    async def write_owed(self) -> None:
        """Write every row held owed (`writes_after`), as a flush of its own after the one on
        its way: the lock is held only to take them, not while the broker answers."""
        while True:
            await self.settled()
            async with self.lock:
                if self._writing is not None and not self._writing.done():
                    continue  # one began meanwhile: these go after it
                taken = self._take(float("-inf"), owed=True) if self._owed else None
                if taken is None:
                    return
                self._writing = asyncio.ensure_future(self._finish_or_stop(taken))
            await self.settled()
            return

    async def settled(self) -> None:
        """Once the flush on its way, if any, is done (not cancelled with it: the rows of
        a flush go out whoever waits for them)."""
        if self._writing is not None and not self._writing.cancelled():
            await asyncio.shield(self._writing)

    def _take(self, held_before: float, owed: bool) -> _Flush | None:
        """The rows to write, encoded now: the agent that changes them waits for this part
        only. Call with `lock` held."""
        if self._oldest() is None:
            return None
        started = time.perf_counter()
        keys = list(takewhile(lambda key: self._since[key] <= held_before, self._since))
        if owed:
            keys += [key for key in self._owed if self._since[key] > held_before]
        writes = self._encoded({key: self.rows[key] for key in keys})
        self._on_way = set(keys)
        metrics.TABLE_FLUSH.labels(table=self.table.name).observe(time.perf_counter() - started)
        return _Flush(writes, keys, held_before, started, list(self._sending))

    async def _finish(self, taken: _Flush) -> None:
        """Write what `_take` encoded: first the owed rows of the tables written before
        these, then these; a row changed again since stays held. Then acknowledge the
        batches held by `taken.held_before`."""
        for first in self._first:
            await first.write_owed()
        for sending in taken.after:
            await asyncio.shield(sending)
        await self._write(taken.writes)
        self._forget([key for key in taken.keys if key in self._on_way])
        while self._batches and self._batches[0][0] <= taken.held_before:
            for event in self._batches.popleft()[1]:
                event.ack()
        took = time.perf_counter() - taken.started
        if took > self.interval:  # rows come faster than they can be written
            log.warning(
                "flush of %d %s rows took %.0f ms", len(taken.keys), self.table.name, took * 1000
            )

    async def _finish_or_stop(self, taken: _Flush) -> None:
        try:
            await self._finish(taken)
        except Exception:  # nothing else would see it: the events would never be acknowledged
            stop_before_commit(f"writing {self.table.name} rows failed")

    def drop(self) -> None:
        """Forget what is held, unwritten and unacknowledged (the worker is going down; the
        events are read again after the restart)."""
        self.rows.clear()
        self._since.clear()
        self._batches.clear()
        self._owed.clear()
        self._on_way.clear()
        self._sending.clear()
        self._sent.clear()

    def attach(self, app: faust.App) -> None:
        """Flush when no batch came to do it, and before faust waits for every event to be
        acknowledged (a rebalance, a stop: at a stop the timers have already ended)."""

        async def flush_now() -> None:
            async with self.lock:
                await self.flush()

        @app.timer(self.interval / SLICES)
        async def flush_when_due() -> None:
            # A batch holding the lock flushes what is due when it ends.
            if self.due() and not self.lock.locked():
                async with self.lock:
                    await self.flush_due()

        wait_empty = app._consumer_wait_empty

        async def flush_while_waiting_empty(consumer: Any, logger: Any) -> None:
            # Batches taken before the wait may still finish and hold rows: flush until done.
            async def keep_flushing() -> None:
                while True:
                    await flush_now()
                    await asyncio.sleep(self.interval)

            flushing = asyncio.ensure_future(keep_flushing())
            try:
                await wait_empty(consumer, logger)
            finally:
                flushing.cancel()
            # Rows held by work that acknowledges no event of its own (gather merging
            # features in-process) after the last flush of the loop above.
            await flush_now()

        app._consumer_wait_empty = flush_while_waiting_empty  # type: ignore[method-assign]
