"""History: each entity event gets the features of its entity as they were before the
declaration, then the declaration is applied, once, to the entity's row in the `history`
table (`core/history/state.py`).

A batch reads and writes a row once however many of its events hit it. Changed rows are held
decoded and written behind (`write_behind.py`), and the busiest stay decoded after a flush
(`SCREENER_ROW_CACHE_SIZE`): without that, a long-running worker decoded 4.8 rows per
declaration, 1.1 with 2,000 kept. The cache is kept small, since full garbage collections
visit every object of every decoded row, and emptied at every rebalance, since another worker
may change a row once its partition moves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import faust
from cachetools import LRUCache

from screener.core.history import EntityEvent
from screener.core.history.state import EntityRow, RowBatch, encode_row
from screener.observability import metrics
from screener.settings import Settings
from screener.stream.batches import handling
from screener.stream.hops import items_of
from screener.stream.sending import Publish
from screener.stream.write_behind import WriteBehind

# What history hands on: the features items of a batch (one per declaration), and the
# declarations whose features include a redelivery (`Gather.features`)
HandOn = Callable[[list[dict[str, Any]], set[str]], Any]


class History:
    """The history table, its rows held between flushes, and the busiest kept decoded."""

    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        table: faust.Table,
        publish: Publish,
    ) -> None:
        self.settings = settings
        self.table = table
        self.behind = WriteBehind(table, encode_row, publish, settings.row_flush_ms / 1000)
        self.cache: LRUCache[str, EntityRow] | None = (
            LRUCache(settings.row_cache_size) if settings.row_cache_size else None
        )
        self._attach(app)

    async def batch(self, events: Sequence[faust.EventT], hand_on: HandOn) -> None:
        """One batch of entity events and alerts for the entities' ledgers: features found
        are handed on to gather, then the rows changed are held."""
        async with self.behind.lock:
            rows = RowBatch(self._load, self.behind.get, self.cache)
            last_event: dict[str, faust.EventT] = {}  # a row is written in its partition
            found: dict[str, dict[str, Any]] = {}  # declaration -> entity key -> features
            redelivered: set[str] = set()  # declarations with features of a redelivery
            try:
                for event in events:
                    handling(event)
                    for item in items_of(event.message.value):
                        if item["t"] == "alert":
                            key = item["key"]
                            rows.record_alert(key, item["declaration_id"], item["declared_at"])
                        else:
                            entity_event = EntityEvent.from_dict(item["event"])
                            key = entity_event.key
                            source = item.get("source")
                            features, why = rows.update(
                                entity_event, tuple(source) if source else None
                            )
                            if why is not None:
                                redelivered.add(entity_event.declaration_id)
                            parts = found.setdefault(entity_event.declaration_id, {})
                            parts.setdefault(key, features)  # first of a redelivery wins
                        last_event[key] = event
                touched = rows.touched()
                for why, n in rows.redeliveries.items():
                    metrics.REDELIVERED.labels(recognised_as=why).inc(n)
            except BaseException:
                # The held and cached rows may hold changes of a batch that did not finish;
                # the worker stops, and reads the events again after the restart.
                self._forget_rows()
                self.behind.drop()
                raise
            # One item per declaration: all the features this batch found for it.
            items = [
                {"t": "features", "declaration_id": declaration_id, "features": parts}
                for declaration_id, parts in found.items()
            ]
            await hand_on(items, redelivered)
            self.behind.hold(
                events, {k: (last_event[k].message.partition, row) for k, row in touched.items()}
            )
            await self.behind.flush_due()

    def _load(self, key: str) -> bytes | None:
        return self.table.get(key.encode())

    def _forget_rows(self) -> None:
        if self.cache is not None:
            self.cache.clear()

    def _attach(self, app: faust.App) -> None:
        self.behind.attach(app)

        async def forget_rows(app: faust.App, partitions: Any, **kwargs: Any) -> None:
            self._forget_rows()

        app.on_partitions_revoked.connect(forget_rows)
        app.on_partitions_assigned.connect(forget_rows)
