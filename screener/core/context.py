"""What indicators see: the declaration, the policy in force, and facts derived once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from screener.core.history.snapshot import HistorySnapshot
from screener.core.policy import Policy
from screener.models import Declaration, Item
from screener.reference.commodities import CommodityGroup


@dataclass(frozen=True)
class ControlledLine:
    item: Item
    group: CommodityGroup


@dataclass
class Context:
    declaration: Declaration
    policy: Policy
    history: HistorySnapshot | None = None  # None: screening without history (stateless)

    @cached_property
    def controlled(self) -> list[ControlledLine]:
        """Item lines whose HS code falls in a controlled group of the policy."""
        catalogue = self.policy.catalogue
        return [
            ControlledLine(item, group)
            for item in self.declaration.items
            if (group := catalogue.controlled_group(item.hs_code)) is not None
        ]

    @cached_property
    def destinations(self) -> list[str]:
        """Discharge destination, then the declared final destination when it differs."""
        route = self.declaration.route
        final = route.final_destination_country
        return [route.destination_country] + (
            [final] if final and final != route.destination_country else []
        )
