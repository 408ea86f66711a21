"""State metrics: how big the tables are and how recovery is going."""

from __future__ import annotations

import time
from collections.abc import Mapping

import faust

from screener.observability import metrics

INTERVAL = 2.0


def table_keys(table: faust.types.TableT) -> int:
    store = table.data
    dbs = getattr(store, "_dbs", None)
    if dbs is None:  # memory store
        return len(store)
    # RocksDB: one database per assigned partition; its own estimate, not a full scan.
    total = 0
    for db in dbs.values():
        try:
            total += int(db.property_int_value("rocksdb.estimate-num-keys") or 0)
        except (AttributeError, TypeError):
            continue
    return total


def watch_state(app: faust.App, tables: Mapping[str, faust.types.TableT]) -> None:
    started: list[float] = []

    @app.timer(INTERVAL)
    async def sample_state() -> None:
        recovery = app.tables.recovery
        recovering = bool(app.in_recovery)
        metrics.RECOVERING.set(1 if recovering else 0)
        metrics.RECOVERY_REMAINING.set(recovery.active_remaining_total())
        if recovering and not started:
            started.append(time.monotonic())
        elif not recovering and started:
            metrics.RECOVERY_SECONDS.set(time.monotonic() - started.pop())
        for name, table in tables.items():
            metrics.TABLE_KEYS.labels(table=name).set(table_keys(table))
