"""Messages between the agents: every item reaches the partition of its key, in order."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from screener.stream.hops import Outbox, items_of, partition_of


def test_the_partition_of_a_key_is_the_same_everywhere():
    # Tables and hops depend on it across workers and restarts: a fixed value, not hash().
    assert partition_of("party:exporter:CN:id:CN-91310000MA1FL", 6) == 3
    assert partition_of("hs6:850511", 6) == partition_of("hs6:850511", 6)


@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=12), st.integers(-(2**63), 2**63 - 1)),
        max_size=200,
    ),
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=40, max_value=2000),
)
def test_every_item_arrives_once_at_its_keys_partition_in_order(keyed, partitions, max_bytes):
    box = Outbox(partitions, max_bytes=max_bytes)
    for key, n in keyed:
        box.add(key, {"key": key, "n": n})
    received: dict[int, list[dict]] = {}
    for partition, value in box.messages():
        items = items_of(value)
        assert items, "no empty messages"
        assert len(value) <= max_bytes + 2 or len(items) == 1  # one oversized item goes alone
        received.setdefault(partition, []).extend(items)
    for partition, items in received.items():
        assert all(partition_of(i["key"], partitions) == partition for i in items)
        expected = [
            {"key": k, "n": n} for k, n in keyed if partition_of(k, partitions) == partition
        ]
        assert items == expected
    assert sum(len(v) for v in received.values()) == len(keyed)


def test_a_batch_for_one_partition_is_split_into_messages_under_the_limit():
    box = Outbox(1, max_bytes=1000)
    item = {"t": "event", "pad": "x" * 90}
    for _ in range(50):
        box.add("k", item)
    messages = box.messages()
    assert len(messages) > 1
    assert all(len(value) <= 1000 for _, value in messages)
    assert [i for _, v in messages for i in orjson.loads(v)] == [item] * 50


def test_nothing_added_means_no_messages():
    assert Outbox(6).messages() == []
