"""The faust fixes that need no broker: records fetched for a partition paused meanwhile go
back to aiokafka, and a message a stream skipped is never acknowledged (so never committed)."""

from __future__ import annotations

from dataclasses import dataclass

import faust
from faust.transport.consumer import ConsumerMessage
from faust.types import TP

from screener.stream import faust_fixes


@dataclass
class Record:
    offset: int


def test_records_of_partitions_paused_meanwhile_go_back_from_their_first_offset():
    kept, paused, emptied = TP("gather", 0), TP("gather", 5), TP("entity-events", 3)
    records = {
        kept: [Record(7), Record(8)],
        paused: [Record(51), Record(52)],
        emptied: [],
    }
    seeks: list[tuple[TP, int]] = []
    returned = faust_fixes.hand_back_unwanted(
        records, {kept}, lambda tp, offset: seeks.append((tp, offset))
    )
    assert returned == {kept: [Record(7), Record(8)]}
    assert seeks == [(paused, 51)]  # read again from the first; nothing to read again for 3


def test_nothing_handed_back_when_every_partition_is_still_wanted():
    records = {TP("gather", 0): [Record(1)], TP("gather", 1): [Record(4)]}
    seeks: list[tuple[TP, int]] = []
    returned = faust_fixes.hand_back_unwanted(
        dict(records), set(records), lambda tp, offset: seeks.append((tp, offset))
    )
    assert returned == records and seeks == []


def _consumer_and_message(tracked: bool):
    app = faust.App("faust-fixes-test", broker="kafka://127.0.0.1:1", store="memory://")
    faust_fixes.apply(app)
    app.topics._acking_topics.add("declarations")
    message = ConsumerMessage("declarations", 2, 40, 0.0, 0, [], b"k", b"v", None)
    message.tracked = tracked
    return app.consumer, message


def test_a_message_a_stream_handed_on_is_acknowledged():
    consumer, message = _consumer_and_message(tracked=True)
    assert consumer.ack(message)
    assert list(consumer._acked[message.tp]) == [40]


def test_a_message_a_stream_skipped_in_a_rebalance_is_not_acknowledged():
    """faust skips a message taken while flow is stopped, or of an older generation, and
    acknowledges it anyway; before the fix the next commit could pass it unhandled."""
    consumer, message = _consumer_and_message(tracked=False)
    assert not message.ack(consumer)
    assert not consumer._acked[message.tp]
