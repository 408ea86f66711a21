"""The indicator registry: indicators are code, their weights and parameters are policy.

An indicator is a small function of the declaration's context that returns a `Finding`
(what it saw, in words and in facts) or None. It does not decide points: the policy's
weight times the finding's strength does, so a weight change never needs a code change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from screener.core.context import Context


class Params(BaseModel):
    """An indicator's parameters as the policy gives them: no unknown keys, never changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    """For an indicator without parameters."""


@dataclass(frozen=True)
class Finding:
    evidence: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    strength: float = 1.0  # 0..1, scales the policy weight


IndicatorFn = Callable[["Context", Any], Finding | None]


@dataclass(frozen=True)
class Indicator:
    code: str
    title: str
    params: type[BaseModel]
    fn: IndicatorFn


class IndicatorRegistry:
    def __init__(self) -> None:
        self._indicators: dict[str, Indicator] = {}

    def register(
        self, code: str, title: str, params: type[BaseModel] = NoParams
    ) -> Callable[[IndicatorFn], IndicatorFn]:
        def decorate(fn: IndicatorFn) -> IndicatorFn:
            if code in self._indicators:
                raise ValueError(f"indicator {code} registered twice")
            self._indicators[code] = Indicator(code, title, params, fn)
            return fn

        return decorate

    def __getitem__(self, code: str) -> Indicator:
        return self._indicators[code]

    def __contains__(self, code: object) -> bool:
        return code in self._indicators

    def codes(self) -> list[str]:
        return sorted(self._indicators)


REGISTRY = IndicatorRegistry()
indicator = REGISTRY.register
