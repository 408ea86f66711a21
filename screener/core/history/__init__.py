"""Counterparty and route history: entities, what they remember, point-in-time features."""

from screener.core.history.entities import EntityEvent, Kind, scatter
from screener.core.history.snapshot import HistorySnapshot
from screener.core.history.state import EntityHistory, EntityRow

__all__ = ["EntityEvent", "EntityHistory", "EntityRow", "HistorySnapshot", "Kind", "scatter"]
