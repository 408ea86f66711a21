"""State metrics: how big the tables are and how recovery is going.

Read when Prometheus scrapes, not by a timer: faust starts app timers only after recovery,
which is exactly when these figures matter most.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import faust
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector


def table_keys(table: faust.types.TableT) -> int:
    store = table.data
    dbs = getattr(store, "_dbs", None)
    if dbs is None:  # memory store
        return len(store)
    # RocksDB: one database per assigned partition; its own estimate, not a full scan.
    total = 0
    for db in list(dbs.values()):
        try:
            total += int(db.property_int_value("rocksdb.estimate-num-keys") or 0)
        except (AttributeError, TypeError):
            continue
    return total


class StateCollector(Collector):
    def __init__(self, app: faust.App, tables: Mapping[str, faust.types.TableT]):
        self.app = app
        self.tables = tables

    def collect(self) -> Iterator[GaugeMetricFamily]:
        recovery = self.app.tables.recovery
        yield GaugeMetricFamily(
            "screener_state_recovering",
            "1 while tables are being recovered from their changelogs",
            value=1 if self.app.in_recovery else 0,
        )
        yield GaugeMetricFamily(
            "screener_state_recovery_remaining_changes",
            "Changelog records still to replay before state is up to date",
            value=recovery.active_remaining_total(),
        )
        started = getattr(recovery, "_recovery_started_at", None)
        ended = getattr(recovery, "_recovery_ended_at", None)
        yield GaugeMetricFamily(
            "screener_state_last_recovery_seconds",
            "Duration of the last completed state recovery",
            value=ended - started if started and ended and ended >= started else 0.0,
        )
        keys = GaugeMetricFamily(
            "screener_table_keys",
            "Keys in a state table's stores on this worker, standby copies included "
            "(RocksDB estimate)",
            labels=["table"],
        )
        for name, table in self.tables.items():
            keys.add_metric([name], table_keys(table))
        yield keys


_registered: list[StateCollector] = []


def watch_state(app: faust.App, tables: Mapping[str, faust.types.TableT]) -> None:
    while _registered:  # one app per process; a new app replaces the old collector
        REGISTRY.unregister(_registered.pop())
    collector = StateCollector(app, tables)
    REGISTRY.register(collector)
    _registered.append(collector)
