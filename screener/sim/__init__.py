"""Sample shipment-declaration traffic for the demo and the integration tests."""

from screener.sim.declarations import (
    SampleMessage,
    generate,
    malformed_kinds,
    planted_schemes,
)

__all__ = ["SampleMessage", "generate", "malformed_kinds", "planted_schemes"]
