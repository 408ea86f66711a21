from types import SimpleNamespace

from faust.types import TP

from screener.stream.table_writes import TableWrites


class Table:
    """What TableWrites and WriteBehind use of a faust table: its name, its changelog topic
    and the recovery path."""

    name = "history"
    changelog_topic = "app-history-changelog-topic"

    def __init__(self) -> None:
        self.applied: list = []

    def apply_changelog_batch(self, batch) -> None:
        self.applied.extend(batch)


def ack(offset: int) -> SimpleNamespace:
    return SimpleNamespace(topic="app-history-changelog", offset=offset)


def test_rows_go_out_by_partition_and_come_back_with_their_changelog_offsets():
    table = Table()
    writes = TableWrites(table)
    writes.set(2, b"party:a", b'{"n":1}')
    writes.set(0, b"lane:x", None)  # a deletion
    writes.set(2, b"party:a", b'{"n":2}')  # written twice in a batch: the last value goes
    records = list(writes.records())
    assert records == [
        (Table.changelog_topic, 2, b"party:a", b'{"n":2}'),
        (Table.changelog_topic, 0, b"lane:x", None),
    ]
    writes.apply([ack(41), ack(7)])
    first, second = table.applied
    assert (first.message.tp, first.message.offset, first.key, first.value) == (
        TP("app-history-changelog", 2),
        41,
        b"party:a",
        b'{"n":2}',
    )
    assert (second.message.partition, second.message.offset, second.value) == (0, 7, None)


def test_nothing_written_applies_nothing():
    table = Table()
    TableWrites(table).apply([])
    assert table.applied == []
