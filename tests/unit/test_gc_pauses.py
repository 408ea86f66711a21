import gc

from prometheus_client import REGISTRY

from screener.observability import metrics


def full_collections() -> tuple[float, float]:
    labels = {"generation": "2"}
    count = REGISTRY.get_sample_value("screener_gc_pause_seconds_count", labels) or 0.0
    total = REGISTRY.get_sample_value("screener_gc_pause_seconds_sum", labels) or 0.0
    return count, total


def test_every_full_collection_is_timed():
    before = len(gc.callbacks)
    metrics.watch_gc_pauses()
    try:
        count, total = full_collections()
        gc.collect()
        gc.collect()
        assert full_collections()[0] == count + 2
        assert full_collections()[1] > total
    finally:
        del gc.callbacks[before:]
