"""Messages between the agents, grouped by the partition that must handle them.

An entity event must reach the partition that owns its entity's row, and a declaration and its
features the partition that owns the declaration's pending row. Instead of one Kafka record
per entity event (about seven per declaration, each a trip through faust and the broker),
everything a batch sends to one partition travels in a few records there: a JSON array of
items, each item carrying its own key. Every worker computes the same partition for a key,
so tables and hops agree whichever worker sent what.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from typing import Any

import orjson

MAX_MESSAGE_BYTES = 256 * 1024  # well under the broker's and producer's 1 MiB limits


def partition_of(key: str, partitions: int) -> int:
    return zlib.crc32(key.encode()) % partitions


class Outbox:
    """Items addressed by key, packed into at most a few messages per partition."""

    def __init__(self, partitions: int, max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self._partitions = partitions
        self._max_bytes = max_bytes
        self._items: dict[int, list[bytes]] = defaultdict(list)

    def add(self, key: str, item: dict[str, Any]) -> None:
        self._items[partition_of(key, self._partitions)].append(orjson.dumps(item))

    def messages(self) -> list[tuple[int, bytes]]:
        """(partition, JSON array of items), in the order the items were added."""
        result = []
        for partition, items in sorted(self._items.items()):
            chunk: list[bytes] = []
            size = 0
            for item in items:
                if chunk and size + len(item) > self._max_bytes:
                    result.append((partition, b"[" + b",".join(chunk) + b"]"))
                    chunk, size = [], 0
                chunk.append(item)
                size += len(item) + 1
            result.append((partition, b"[" + b",".join(chunk) + b"]"))
        return result


def items_of(value: bytes) -> list[dict[str, Any]]:
    return orjson.loads(value)
