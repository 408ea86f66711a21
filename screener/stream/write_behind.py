"""Table rows written behind the batches that changed them, a few times a second.

At moderate rates an agent's batches hold a few declarations each, and the busy rows (an HS6
code, a main lane, a hub) were encoded, sent to the changelog and written to RocksDB once per
batch: 8.5 history changelog records per declaration at 300 decl/s against 3.3 at
saturation. Here a batch's changed rows are held in memory (decoded) until the next flush,
which writes each row once however many batches changed it.

What keeps this safe is the order of three things:

1. rows are held only after what the batch caused (features, answers) is acknowledged, so
   a flushed row never holds a declaration whose features or answer were lost;
2. the batch's input events are acknowledged to faust only after the flush that wrote their
   rows, so no offset is committed ahead of the rows it implies; a crash before the flush
   replays the events onto the rows as they were last flushed;
3. one lock for batch and flush: a flush never encodes a row a batch is half-way through.

faust waits for every event to be acknowledged before it gives partitions away in a
rebalance and before it stops, so held rows are flushed first then (`attach`); nothing held
outlives an assignment, and a clean stop leaves nothing to replay.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import faust

from screener.observability import metrics
from screener.stream.table_writes import TableWrites

log = logging.getLogger(__name__)

Publish = Callable[[Sequence[Any]], Awaitable[list[Any]]]


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
        self._events: list[faust.EventT] = []
        self._since: float | None = None  # when the oldest held row was held

    def get(self, key: str) -> Any | None:
        held = self.rows.get(key)
        return None if held is None else held[1]

    def hold(self, events: Iterable[faust.EventT], rows: dict[str, tuple[int, Any]]) -> None:
        """Keep a batch's rows until the next flush, and its events unacknowledged till then
        (faust acknowledges a batch's events when the agent takes the next batch; one more
        reference per event makes that acknowledgement not the last)."""
        for event in events:
            event.message.incref()
            self._events.append(event)
        self.rows.update(rows)
        if self._since is None:
            self._since = time.monotonic()

    def due(self) -> bool:
        return self._since is not None and time.monotonic() - self._since >= self.interval

    async def flush(self) -> None:
        """Publish the held rows to the changelog, write them to the local store once the
        broker has them, then acknowledge their events. Call with `lock` held."""
        if self._since is None:
            return
        started = time.perf_counter()
        writes = TableWrites(self.table)
        for key, (partition, row) in self.rows.items():
            writes.set(partition, key.encode(), self.encode(row))
        records = [(*record, []) for record in writes.records()]
        encoded = time.perf_counter()
        writes.apply(await self.publish(records))
        for event in self._events:
            event.ack()
        took = time.perf_counter() - started
        metrics.TABLE_FLUSH.labels(table=self.table.name).observe(took)
        if took > self.interval:  # rows come faster than they can be written
            log.warning(
                "flush of %d %s rows took %.0f ms (encoding them %.0f ms)",
                len(self.rows),
                self.table.name,
                took * 1000,
                (encoded - started) * 1000,
            )
        self.drop()

    def drop(self) -> None:
        """Forget what is held, unwritten and unacknowledged (the worker is going down; the
        events are read again after the restart)."""
        self.rows.clear()
        self._events.clear()
        self._since = None

    def attach(self, app: faust.App) -> None:
        """Flush when no batch came to do it, and before faust waits for every event to be
        acknowledged (a rebalance, a stop: at a stop the timers have already ended)."""

        async def flush_now() -> None:
            async with self.lock:
                await self.flush()

        @app.timer(self.interval)
        async def flush_when_due() -> None:
            if self.due():
                await flush_now()

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
