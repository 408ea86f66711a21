"""Indicators of diversion risk. Importing this package registers all of them."""

# Registration happens on import of each module.
from screener.core.indicators import (  # noqa: F401
    business,
    consignee,
    documents,
    goods,
    history,
    licences,
    parties,
    routing,
    values,
)
from screener.core.indicators.registry import REGISTRY, Finding, Indicator, indicator

__all__ = ["REGISTRY", "Finding", "Indicator", "indicator"]
