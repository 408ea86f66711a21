"""Indicators of diversion risk. Importing this package registers all of them."""

# Registration happens on import; the order here is the order of the registry's codes.
from screener.core.indicators import licences, parties, routing, values  # noqa: F401
from screener.core.indicators.registry import REGISTRY, Finding, Indicator, indicator

__all__ = ["REGISTRY", "Finding", "Indicator", "indicator"]
