"""Prometheus metrics of the screening pipeline.

consumed == assessed + answered_again + dead_lettered (summed over reasons and over the
workers) once the pipeline is idle: the sum an SRE checks to know that no declaration was
lost (deploy/prometheus: ScreenerDeclarationsUnanswered).
"""

from __future__ import annotations

import gc
import time
from functools import cache
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter(
    "screener_declarations_consumed_total", "Declaration messages taken from the input topic"
)
ASSESSED = Counter(
    "screener_declarations_assessed_total", "Valid declarations assessed and published"
)
ANSWERED_AGAIN = Counter(
    "screener_declarations_answered_again_total",
    "Declarations answered already, sent again or read again after a crash or rebalance: "
    "the first answer published again, not assessed again",
)
DEAD_LETTERED = Counter(
    "screener_declarations_dead_lettered_total",
    "Messages sent to the dead-letter topic, by rejection code",
    ["reason"],
)
ALERTS = Counter("screener_alerts_total", "Alerts published, by severity", ["severity"])
INDICATOR_HITS = Counter(
    "screener_indicator_hits_total", "Indicators that fired, by indicator code", ["code"]
)
ALERTS_NOTED = Counter(
    "screener_alerts_noted_total",
    "Alerts noted in the table of alerts that dispositions name (copies included)",
)
ALERTS_FORGOTTEN = Counter(
    "screener_alerts_forgotten_total",
    "Alerts' rows deleted from that table, published longer ago than the disposition window",
)
DISPOSITIONS = Counter(
    "screener_dispositions_total",
    "Analysts' dispositions recorded on the history of what their alert was about, by verdict "
    "(a verdict sent again is not counted again)",
    ["verdict"],
)
DISPOSITION_INDICATORS = Counter(
    "screener_disposition_indicators_total",
    "Indicators of the alerts analysts decided, by indicator code and verdict: each "
    "indicator's precision in production",
    ["code", "verdict"],
)
DISPOSITIONS_DEAD_LETTERED = Counter(
    "screener_dispositions_dead_lettered_total",
    "Dispositions sent to their dead-letter topic, by rejection code",
    ["reason"],
)
SCORE = Histogram(
    "screener_assessment_score",
    "Distribution of assessment scores",
    buckets=(0, 5, 15, 25, 35, 45, 55, 65, 80, 90, 100),
)
LATENCY = Histogram(
    "screener_assessment_latency_seconds",
    "From the declaration's Kafka timestamp to its assessment being published",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
STAGE_LATENCY = Histogram(
    "screener_stage_latency_seconds",
    "Where the latency goes, per declaration: screen (input timestamp to its entity events "
    "out), history (to its last features out), gather (to its assessment handed over)",
    ["stage"],
    buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 60),
)
REDELIVERED = Counter(
    "screener_history_redeliveries_total",
    "Entity events not applied to a history row again: replays after a crash or rebalance "
    "(recognised by where the declaration came in) and declarations sent again, the same or "
    "amended",
    ["recognised_as"],
)
POLICY_VERSIONS = Gauge(
    "screener_policy_effective_from_seconds",
    "Policy versions loaded, each with the time from which it is in force",
    ["version"],
)
POLICY_REJECTED = Counter(
    "screener_policy_rejected_total", "Policy versions refused as invalid", ["origin"]
)
POLICY_LOADED_AT = Gauge(
    "screener_policy_loaded_timestamp_seconds", "When the last policy version was loaded"
)
SCREENING_LIST_ENTRIES = Gauge(
    "screener_screening_list_entries", "Screening-list entries of the newest policy version"
)
TABLE_FLUSH = Histogram(
    "screener_table_flush_seconds",
    "How long a flush of a table's held rows holds its agent: encoding them (they are written "
    "to the changelog and store in the background)",
    ["table"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
BATCH_RECORDS = Histogram(
    "screener_batch_records",
    "Records an agent took in one batch: batches of a few mean the worker waits for input, "
    "full ones (SCREENER_BATCH_SIZE) that it is behind",
    ["agent"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
GC_PAUSE = Histogram(
    "screener_gc_pause_seconds",
    "Garbage-collection pauses of the worker, by generation: the event loop stands still",
    ["generation"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)


def watch_gc_pauses() -> None:
    """Time every collection (gc.callbacks run at its start and its stop)."""
    started: list[float] = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pause = time.perf_counter() - started[0]
            GC_PAUSE.labels(generation=str(info["generation"])).observe(pause)

    gc.callbacks.append(on_gc)


@cache
def labelled(metric: Any, *values: str) -> Any:
    """`metric`'s child for these label values, looked up once: `labels` checks its
    arguments and takes a lock on every call, several times per declaration."""
    return metric.labels(*values)
