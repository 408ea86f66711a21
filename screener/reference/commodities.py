"""Commodity catalogue: which HS codes are controlled, where they are diverted, what they cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class CommodityGroup:
    key: str
    title: str
    hs_prefixes: tuple[str, ...]
    hubs: frozenset[str]


@dataclass(frozen=True)
class UnitValueRange:
    hs_prefix: str
    min_usd_per_kg: float
    max_usd_per_kg: float


def _longest_prefix(code: str, table: dict[str, T]) -> T | None:
    for end in range(len(code), 1, -1):
        if (hit := table.get(code[:end])) is not None:
            return hit
    return None


class CommodityCatalogue:
    """HS code lookups by longest matching prefix, so a 10-digit code finds its 6-digit rule."""

    def __init__(self, groups: list[CommodityGroup], unit_values: list[UnitValueRange]):
        self.groups = groups
        self._group_by_prefix = {p: g for g in groups for p in g.hs_prefixes}
        self._range_by_prefix = {r.hs_prefix: r for r in unit_values}

    def controlled_group(self, hs_code: str) -> CommodityGroup | None:
        return _longest_prefix(hs_code, self._group_by_prefix)

    def unit_value_range(self, hs_code: str) -> UnitValueRange | None:
        return _longest_prefix(hs_code, self._range_by_prefix)
