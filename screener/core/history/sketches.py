"""Bounded, order-independent summaries of sets.

History must come out the same whichever worker applied which declaration first, so every
summary here is commutative and idempotent under merge: the final state depends only on the
set of items added, not on their order.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

# The same keys come back declaration after declaration (a party's counterparties, its
# routes), and a full BottomK hashes all k of them for each new item and each estimate.
HASH_CACHE_SIZE = 1 << 16


@lru_cache(maxsize=HASH_CACHE_SIZE)
def hash64(item: str) -> int:
    return int.from_bytes(hashlib.blake2b(item.encode(), digest_size=8).digest(), "big")


@lru_cache(maxsize=HASH_CACHE_SIZE)
def _bloom_positions(item: str, m: int, hashes: int) -> tuple[int, ...]:
    digest = hashlib.blake2b(item.encode(), digest_size=12).digest()
    return tuple(int.from_bytes(digest[i * 4 : i * 4 + 4], "big") % m for i in range(hashes))


class BottomK:
    """The k items with the smallest hashes, with exact counts (a KMV sketch).

    An item kept at the end was never evicted (the k-th smallest hash only falls), so its
    count is exact and independent of arrival order; `distinct()` estimates the set size.
    """

    __slots__ = ("counts", "k")

    def __init__(self, k: int, counts: dict[str, int] | None = None):
        self.k = k
        self.counts = counts or {}

    def add(self, item: str, n: int = 1) -> None:
        if item in self.counts:
            self.counts[item] += n
            return
        if len(self.counts) < self.k:
            self.counts[item] = n
            return
        h = hash64(item)
        largest = max(self.counts, key=hash64)
        if h < hash64(largest):
            del self.counts[largest]
            self.counts[item] = n

    def distinct(self) -> int:
        if len(self.counts) < self.k:
            return len(self.counts)
        kth = max(hash64(item) for item in self.counts)
        return round((self.k - 1) * 2**64 / (kth + 1))

    def __contains__(self, item: str) -> bool:
        return item in self.counts


class Bloom:
    """Set membership in m bits: never a false 'no', rarely a false 'yes' (then an indicator
    stays quiet: the safe side for first-use signals). Merges by OR."""

    __slots__ = ("bits", "m")
    HASHES = 3

    def __init__(self, m: int, bits: int = 0):
        self.m = m
        self.bits = bits

    def _positions(self, item: str) -> tuple[int, ...]:
        return _bloom_positions(item, self.m, self.HASHES)

    def add(self, item: str) -> None:
        for p in self._positions(item):
            self.bits |= 1 << p

    def __contains__(self, item: str) -> bool:
        return all(self.bits >> p & 1 for p in self._positions(item))


class BottomKHistograms:
    """A count histogram per key, for the k keys with the smallest hashes (e.g. an exporter's
    unit values per HS6 code). Like `BottomK`, a key kept at the end was never evicted, so
    its histogram is exact and independent of arrival order; other keys are forgotten."""

    __slots__ = ("histograms", "k")

    def __init__(self, k: int, histograms: dict[str, dict[int, int]] | None = None):
        self.k = k
        self.histograms = histograms or {}

    def add(self, key: str, bucket: int, n: int = 1) -> None:
        if key not in self.histograms:
            if len(self.histograms) >= self.k:
                largest = max(self.histograms, key=hash64)
                if hash64(key) >= hash64(largest):
                    return
                del self.histograms[largest]
            self.histograms[key] = {}
        histogram = self.histograms[key]
        histogram[bucket] = histogram.get(bucket, 0) + n

    def get(self, key: str) -> dict[int, int]:
        return self.histograms.get(key, {})
