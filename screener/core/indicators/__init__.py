"""Indicators of diversion risk. Importing this package registers all of them."""

from screener.core.indicators.registry import REGISTRY, Finding, Indicator, indicator

# Registration happens on import; the order here is the order of the registry's codes.
from screener.core.indicators import licences, parties, routing, values  # noqa: E402, F401, I001

__all__ = ["REGISTRY", "Finding", "Indicator", "indicator"]
