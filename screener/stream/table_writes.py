"""Table rows written with the batch that changed them, instead of one by one by faust.

faust sends every table write to the changelog through a buffer that produces one record at
a time, and when more than 100 wait there it stops fetching until they are out
(`ProducerBuffer.wait_until_ebb`). A batch of the history or gather agent writes tens to
hundreds of rows, so fetching stalled for more than a third of the time and, at half the
saturation rate, latency grew to seconds. Here a batch's changelog records are published with
everything else the batch caused, and once the broker has acknowledged them the rows go to
the local store the way recovery writes them: by partition, with the changelog offset that
recovery starts after.

Rows are read the same way, from their partition's store (`read`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import faust
from faust.types import TP
from faust.types.tuples import RecordMetadata

# partition -> key -> value (None deletes the row)
Rows = dict[int, dict[bytes, bytes | None]]


@dataclass(frozen=True, slots=True)
class _Changelogged:
    """The parts of a changelog event that faust's stores read when they apply one."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes | None

    @property
    def tp(self) -> TP:
        return TP(self.topic, self.partition)

    @property
    def message(self) -> _Changelogged:
        return self


class TableWrites:
    """The rows a batch changed in one table, by partition, until they are acknowledged."""

    def __init__(self, table: faust.Table) -> None:
        self.table = table
        self.rows: Rows = {}

    def set(self, partition: int, key: bytes, value: bytes | None) -> None:
        self.rows.setdefault(partition, {})[key] = value

    def records(self) -> Iterable[tuple[faust.TopicT, int, bytes, bytes | None]]:
        """(changelog topic, partition, key, value) of every row, to publish."""
        topic = self.table.changelog_topic
        for partition, rows in self.rows.items():
            for key, value in rows.items():
                yield topic, partition, key, value

    def apply(self, acknowledged: Iterable[RecordMetadata]) -> None:
        """Write the rows to the local store; `acknowledged`: what `records` gave, in order."""
        changes = [
            _Changelogged(ack.topic, partition, ack.offset, key, value)
            for (_, partition, key, value), ack in zip(self.records(), acknowledged, strict=True)
        ]
        if changes:
            self.table.apply_changelog_batch(changes)


def read(table: faust.Table, partition: int, key: bytes) -> bytes | None:
    """A row of a partition held here, from that partition's store: one lookup. faust's
    `table.get` looks a key up twice (`in`, then the value), each time in every partition's
    store when the key is not among those it met lately, as most rows new to a batch are."""
    store = table.data
    if hasattr(store, "_db_for_partition"):  # RocksDB: a store per partition
        return store._db_for_partition(partition).get(key)
    return table.get(key)
