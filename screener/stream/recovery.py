"""Table recovery that loses no stream message when a worker starts on a backlog.

faust 0.15 ends recovery by resuming the stream partitions, then awaiting the seek to the
committed offsets, then resuming flow control, which empties every stream queue. Whatever was
fetched in between is thrown away although the fetch position has already moved past it, so a
worker started on a backlog silently skipped part of it (offsets 4 to 42 of every input
partition, in the run that showed it). Nothing ever reads those offsets again.

Here the stream partitions stay paused until the queues have been emptied: seek, empty the
queues, and only then fetch. Everything else is faust's own recovery.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from faust.tables import TableManager as FaustTableManager
from faust.tables.recovery import Recovery
from faust.types import TP, AppT


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
