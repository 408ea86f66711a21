"""Where faust 0.15 loses messages when a worker starts on a backlog or partitions move
between workers, and their fix.

The first four throw fetched records away after aiokafka has moved its position past them,
so nothing reads them again; the #3 kill test lost part or all of the backlog after a
restart, and a worker joining mid-stream lost declarations in about 1 run of 7.

1. Recovery resumes the stream partitions, awaits the seek to the committed offsets, then
   resumes flow control, which empties every stream queue: what was fetched in between is
   gone (offsets 4 to 42 of every input partition, in the run that showed it). Here the
   stream partitions stay paused until the queues have been emptied.

2. faust pauses partitions only in its own bookkeeping and passes its live set of active
   partitions to aiokafka's `fetched_records`, which returns records of *every* partition
   when that set is empty, as it is for a moment when recovery ends; faust then drops the
   records of partitions it has paused. Here aiokafka itself is told which partitions are
   paused before each fetch, so it keeps their records (and its position) for later.

3. (Found by a worker joining mid-stream.) After a rebalance faust seeks every partition to
   its committed offset, having dropped what its stream queues held; aiokafka seeks only
   partitions whose committed offset is above 0. A partition assigned again before its first
   commit (within `SCREENER_COMMIT_INTERVAL_S` of the worker's start) kept the position its
   fetches had reached, past the dropped records: 12 of 600 declarations in the run that
   showed it. Here such partitions go back to the start of the log, where a consumer group
   without a committed offset starts (`auto_offset_reset="earliest"`); what was already
   handled comes again, which at-least-once allows and history recognises.

4. (Found by a worker joining mid-stream.) A fetch can outlast a pause. The one waiting when
   a rebalance starts still asks for the partitions active before it, and aiokafka fetches
   newly assigned partitions from their committed offsets at once, while faust keeps them
   paused until recovery is done; faust drops what the fetch returns for them. When
   recovery's seek to the committed offsets came first, nothing read them again, and the
   commit then went past them (faust lets the first acknowledged offset be one past the
   committed one, for transaction markers): 1 or 2 records of a gather partition in the two
   runs examined. Here records of a partition paused meanwhile are handed back to aiokafka
   (seek to the first of them) instead of returned.

5. A message a stream takes while flow is stopped (a rebalance), or of an older generation,
   is skipped, never handled, and yet acknowledged, so a commit can pass it. Here only
   messages a stream has handed on (tracked) are acknowledged.

And one place where it loses time:

6. faust asks the broker to hold every fetch up to 1,500 ms for new records. aiokafka keeps
   one fetch in flight per broker, and a partition left out of it (records still buffered,
   or paused) waits until it returns: up to 1.5 s a hop whenever the partitions in the fetch
   have nothing new, which at moderate rates was most of the latency.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import aiokafka
from faust.tables import TableManager as FaustTableManager
from faust.tables.recovery import Recovery
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, AppT, Message

log = logging.getLogger(__name__)


@contextmanager
def _fetch_only_after_queues_emptied(app: AppT) -> Iterator[None]:
    """Hold back `consumer.resume_partitions` until `flow_control.resume` has emptied the
    stream queues, then resume what was held."""
    consumer, flow_control = app.consumer, app.flow_control
    resume_partitions, resume_flow_control = consumer.resume_partitions, flow_control.resume
    held: set[TP] = set()

    def hold(tps: Iterable[TP]) -> None:
        held.update(tps)

    def empty_queues_then_fetch() -> None:
        resume_flow_control()
        if held:
            resume_partitions(set(held))
            held.clear()

    consumer.resume_partitions = hold
    flow_control.resume = empty_queues_then_fetch
    try:
        yield
    finally:
        consumer.resume_partitions = resume_partitions
        flow_control.resume = resume_flow_control
        if held:  # left early (a new rebalance): resume as faust would have
            resume_partitions(held)


class OrderedRecovery(Recovery):
    async def _resume_streams(self, generation_id: int = 0) -> None:
        with _fetch_only_after_queues_emptied(self.app):
            await super()._resume_streams(generation_id)

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        with _fetch_only_after_queues_emptied(self.app):
            await super().on_recovery_completed(generation_id)


class TableManager(FaustTableManager):
    """faust's table manager with `OrderedRecovery`."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = OrderedRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    async def _fetch_records(
        self,
        consumer: aiokafka.AIOKafkaConsumer,
        active_partitions: set[TP],
        timeout: float | None = None,
        max_records: int | None = None,
    ) -> Any:
        active = set(active_partitions)  # the caller's set changes under us
        if not active:
            return {}
        # aiokafka wants its own TopicPartition: take them from its sets, not from `active`.
        paused = consumer.paused()
        if to_pause := {
            tp for tp in consumer.assignment() if tp not in active and tp not in paused
        }:
            consumer.pause(*to_pause)
        if to_resume := {tp for tp in paused if tp in active}:
            consumer.resume(*to_resume)
        records = await super()._fetch_records(consumer, active, timeout, max_records)
        # Point 4: what faust would drop, for a partition paused while the fetch waited.
        wanted = set(active_partitions) | set(self.consumer._buffered_partitions)
        return hand_back_unwanted(records, wanted, consumer.seek)

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed = await super().seek_to_committed()
        changelogs = self.app.tables.changelog_topics  # recovery places these itself
        unstarted = [
            tp for tp, offset in committed.items() if not offset and tp.topic not in changelogs
        ]
        if unstarted:
            await self.call_thread(self._ensure_consumer().seek_to_beginning, *unstarted)
        return committed

    fetch_max_wait_ms = 1500
    fetch_min_bytes = 1

    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = self.fetch_max_wait_ms  # read when the consumer starts
        consumer._fetch_min_bytes = self.fetch_min_bytes
        return consumer


def hand_back_unwanted(
    records: dict[Any, list[Any]], wanted: set[TP], seek: Callable[[Any, int], None]
) -> dict[Any, list[Any]]:
    """`records` of the `wanted` partitions; the others' go back to aiokafka, which reads
    them again from the first (point 4)."""
    back = {}
    for tp in [tp for tp in records if tp not in wanted]:
        if first := records.pop(tp)[:1]:
            seek(tp, first[0].offset)
            back[f"{tp.topic}:{tp.partition}"] = first[0].offset
    if back:
        log.info("records fetched for partitions paused meanwhile, read again from %s", back)
    return records


class Consumer(faust_aiokafka.Consumer):
    fetch_max_wait_ms = 1500
    fetch_min_bytes = 1

    def ack(self, message: Message) -> bool:
        # Point 5: a stream tracks a message when it hands it on; one skipped was not.
        if not message.tracked:
            return False
        return super().ack(message)

    def _new_consumer_thread(self) -> ConsumerThread:
        thread = ConsumerThread(self, loop=self.loop, beacon=self.beacon)
        thread.fetch_max_wait_ms = self.fetch_max_wait_ms
        thread.fetch_min_bytes = self.fetch_min_bytes
        return thread


def apply(app: AppT, *, fetch_max_wait_ms: int = 1500, fetch_min_bytes: int = 1) -> None:
    """Give `app` the consumer above; call before anything touches `app.consumer`.
    `fetch_max_wait_ms` replaces faust's fixed 1,500 ms (see 6. above); `fetch_min_bytes`
    lets the broker gather that much before it answers a fetch (within the wait)."""
    app.transport.Consumer = type(
        "Consumer",
        (Consumer,),
        {"fetch_max_wait_ms": fetch_max_wait_ms, "fetch_min_bytes": fetch_min_bytes},
    )
