"""The history a declaration is judged against: one feature set per entity it touches."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class HistorySnapshot:
    features: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, features: Iterable[dict[str, Any]]) -> HistorySnapshot:
        # Canonical order, whatever order the entity partitions answered in.
        return cls(tuple(sorted(features, key=lambda f: f["key"])))

    def role(self, role: str) -> dict[str, Any] | None:
        return next((f for f in self.features if f["role"] == role), None)

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.features if f["kind"] == kind]

    def digest(self) -> str:
        """A fingerprint of the features: equal digests, equal inputs to scoring."""
        return hashlib.sha256(orjson.dumps(self.features, option=orjson.OPT_SORT_KEYS)).hexdigest()[
            :32
        ]
