"""The sketches history is built from: whatever order items arrive in, the same summary."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from screener.core.history.sketches import Bloom, BottomK, hash64

# A small alphabet, so that generated lists repeat items and overflow small sketches.
items = st.lists(st.sampled_from([f"party:{i}" for i in range(40)]), max_size=120)
sizes = st.integers(min_value=1, max_value=12)


def bottom_k(k: int, added: list[str]) -> BottomK:
    sketch = BottomK(k)
    for item in added:
        sketch.add(item)
    return sketch


def bloom(m: int, added: list[str]) -> Bloom:
    b = Bloom(m)
    for item in added:
        b.add(item)
    return b


# --- BottomK ------------------------------------------------------------------------------


@given(k=sizes, data=st.data())
def test_bottom_k_ends_the_same_for_any_order_of_the_same_items(k, data):
    added = data.draw(items)
    shuffled = data.draw(st.permutations(added))
    first, second = bottom_k(k, added), bottom_k(k, shuffled)
    assert first.counts == second.counts
    assert first.distinct() == second.distinct()


@given(k=sizes, data=st.data())
def test_bottom_k_weighted_adds_are_order_independent_too(k, data):
    added = data.draw(st.lists(st.tuples(st.sampled_from("abcdefghij"), st.integers(1, 5))))
    shuffled = data.draw(st.permutations(added))
    first, second = BottomK(k), BottomK(k)
    for item, n in added:
        first.add(item, n)
    for item, n in shuffled:
        second.add(item, n)
    assert first.counts == second.counts


@given(k=sizes, added=items)
def test_bottom_k_keeps_the_k_smallest_hashes_with_exact_counts(k, added):
    sketch = bottom_k(k, added)
    truth = Counter(added)
    assert set(sketch.counts) == set(sorted(truth, key=hash64)[:k])
    for item, count in sketch.counts.items():
        assert count == truth[item]


@given(k=sizes, added=items)
def test_bottom_k_never_holds_more_than_k_items(k, added):
    sketch = BottomK(k)
    for item in added:
        sketch.add(item)
        assert len(sketch.counts) <= k


@given(k=st.integers(min_value=2, max_value=40), added=items)
def test_bottom_k_counts_distinct_items_exactly_below_k(k, added):
    distinct = len(set(added))
    if distinct < k:
        assert bottom_k(k, added).distinct() == distinct


def test_bottom_k_estimates_5000_distinct_items_within_30_percent_with_k_32():
    # The hash is deterministic (blake2b), so one fixed set gives one fixed estimate.
    sketch = bottom_k(32, [f"party:consignee:TH:name:trading company {i}" for i in range(5000)])
    assert len(sketch.counts) == 32
    assert abs(sketch.distinct() - 5000) <= 0.3 * 5000


def test_bottom_k_estimates_are_unbiased_enough_across_many_sets():
    estimates = [
        bottom_k(32, [f"set{s}:item{i}" for i in range(5000)]).distinct() for s in range(20)
    ]
    assert abs(sum(estimates) / len(estimates) - 5000) <= 0.1 * 5000


def test_repeats_of_kept_items_do_not_change_the_estimate():
    once = [f"route:{i}" for i in range(1000)]
    assert bottom_k(16, once).distinct() == bottom_k(16, once * 3).distinct()


# --- Bloom --------------------------------------------------------------------------------

strings = st.lists(st.text(min_size=1, max_size=30), max_size=60)
widths = st.integers(min_value=8, max_value=2048)


@given(m=widths, added=strings)
def test_bloom_never_forgets_an_item(m, added):
    b = bloom(m, added)
    assert all(item in b for item in added)


@given(m=widths, data=st.data())
def test_bloom_bits_are_the_same_for_any_order(m, data):
    added = data.draw(strings)
    assert bloom(m, added).bits == bloom(m, data.draw(st.permutations(added))).bits


@given(m=widths, left=strings, right=strings)
def test_bloom_of_a_union_is_the_or_of_the_blooms(m, left, right):
    assert bloom(m, left + right).bits == bloom(m, left).bits | bloom(m, right).bits
    assert bloom(m, left + left).bits == bloom(m, left).bits  # adding twice changes nothing


@settings(max_examples=20)
@given(added=st.lists(st.text(min_size=1), min_size=1, max_size=20))
def test_bloom_bits_stay_inside_m(added):
    assert bloom(64, added).bits < 1 << 64


def test_an_empty_bloom_contains_nothing():
    assert "party:consignee:TH:name:siam precision trading" not in Bloom(1024)
