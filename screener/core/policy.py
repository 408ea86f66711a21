"""The policy document: weights, thresholds, severity bands, HS groups, hubs and lists as data.

`load_policy` reads and validates one YAML (or JSON) file and compiles what the indicators
look things up in: the commodity catalogue and the screening-list index. A policy that does
not validate never replaces the one in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from screener.core.indicators import REGISTRY, Indicator
from screener.models import COUNTRY_CODES, Country, Currency, Severity
from screener.reference.commodities import CommodityCatalogue, CommodityGroup, UnitValueRange
from screener.reference.matching import NameMatcher
from screener.reference.screening_lists import LOADERS, ListFormatError, ScreeningIndex

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "data" / "policy" / "policy.yaml"

HsPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,10}$")]


class PolicyError(ValueError):
    """A policy file that cannot be used, with every reason in readable form."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeverityBands(_Strict):
    low: float = Field(ge=0, le=100)
    medium: float = Field(ge=0, le=100)
    high: float = Field(ge=0, le=100)
    critical: float = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _ascending(self) -> SeverityBands:
        if not self.low <= self.medium <= self.high <= self.critical:
            raise ValueError("severity bands must ascend: low <= medium <= high <= critical")
        return self

    def severity_of(self, score: float) -> Severity:
        for band in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW):
            if score >= getattr(self, band.value):
                return band
        return Severity.NONE


class Scoring(_Strict):
    alert_threshold: float = Field(gt=0, le=100)
    max_score: float = Field(100, gt=0, le=100)
    severity_bands: SeverityBands


class IndicatorSettings(_Strict):
    weight: float = Field(ge=0, le=100)
    params: dict[str, Any] = Field(default_factory=dict)


class GroupSpec(_Strict):
    title: str
    hs_prefixes: list[HsPrefix] = Field(min_length=1)
    hubs: list[str] = Field(description="names of hub_sets or country codes")


class ValueRange(_Strict):
    min: float = Field(gt=0)
    max: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> ValueRange:
        if self.min >= self.max:
            raise ValueError(f"min {self.min} must be below max {self.max}")
        return self


class ListSpec(_Strict):
    id: str
    format: Literal["csl", "csl-json", "sdn", "un"]
    path: Path
    version: str


class PolicyDocument(_Strict):
    version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    effective_from: AwareDatetime
    description: str = ""
    scoring: Scoring
    indicators: dict[str, IndicatorSettings]
    hub_sets: dict[str, list[Country]] = Field(default_factory=dict)
    commodity_groups: dict[str, GroupSpec]
    unit_values_usd_per_kg: dict[HsPrefix, ValueRange] = Field(default_factory=dict)
    fx_to_usd: dict[Currency, float] = Field(default_factory=dict)
    screening_lists: list[ListSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_resolve(self) -> PolicyDocument:
        unknown = [code for code in self.indicators if code not in REGISTRY]
        if unknown:
            raise ValueError(f"unknown indicator codes {unknown}; known: {REGISTRY.codes()}")
        for code, settings in self.indicators.items():
            try:
                REGISTRY[code].params.model_validate(settings.params)
            except ValidationError as exc:
                raise ValueError(f"indicators.{code}.params: {exc}") from None
        for key, group in self.commodity_groups.items():
            bad = [h for h in group.hubs if h not in self.hub_sets and not _is_country(h)]
            if bad:
                raise ValueError(
                    f"commodity_groups.{key}.hubs: {bad} are neither hub sets nor countries"
                )
        return self

    def hubs_of(self, group: GroupSpec) -> frozenset[str]:
        return frozenset(c for h in group.hubs for c in self.hub_sets.get(h, [h]))


def _is_country(code: str) -> bool:
    return code in COUNTRY_CODES


@dataclass(frozen=True)
class ActiveIndicator:
    indicator: Indicator
    weight: float
    params: Any


@dataclass(frozen=True)
class Policy:
    """A validated policy document compiled into the lookups the indicators use."""

    document: PolicyDocument
    catalogue: CommodityCatalogue
    screening: ScreeningIndex  # exact normalised names
    matcher: NameMatcher  # fuzzy, token-wise: what PARTY_LISTED screens with
    list_versions: dict[str, str]
    source: str

    @property
    def version(self) -> str:
        return self.document.version

    @cached_property
    def active(self) -> tuple[ActiveIndicator, ...]:
        """Indicators with a positive weight, their parameters parsed once."""
        return tuple(
            ActiveIndicator(
                REGISTRY[code], s.weight, REGISTRY[code].params.model_validate(s.params)
            )
            for code, s in self.document.indicators.items()
            if s.weight > 0
        )


def compile_policy(document: PolicyDocument, base_dir: Path, source: str) -> Policy:
    groups = [
        CommodityGroup(key, g.title, tuple(g.hs_prefixes), document.hubs_of(g))
        for key, g in document.commodity_groups.items()
    ]
    ranges = [UnitValueRange(p, r.min, r.max) for p, r in document.unit_values_usd_per_kg.items()]
    entries = []
    for spec in document.screening_lists:
        path = spec.path if spec.path.is_absolute() else base_dir / spec.path
        try:
            entries.extend(LOADERS[spec.format](path, spec.id))
        except ListFormatError as exc:
            raise PolicyError(f"screening list {spec.id!r}: {exc}") from exc
    return Policy(
        document=document,
        catalogue=CommodityCatalogue(groups, ranges),
        screening=ScreeningIndex.build(entries),
        matcher=NameMatcher.build(entries),
        list_versions={spec.id: spec.version for spec in document.screening_lists},
        source=source,
    )


def parse_policy(text: str, base_dir: Path, source: str) -> Policy:
    """A policy from YAML or JSON text; list paths resolve against `base_dir`."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: cannot read policy: {exc}") from exc
    try:
        document = PolicyDocument.model_validate(raw)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(document)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise PolicyError(f"{source}: invalid policy: {reasons}") from exc
    return compile_policy(document, base_dir, source)


def load_policy(path: Path | str = DEFAULT_POLICY) -> Policy:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read policy: {exc}") from exc
    return parse_policy(text, path.parent, str(path))


class PolicyBook:
    """Every policy version loaded, each in force from its effective time.

    A declaration is scored by the newest version whose `effective_from` is at or before its
    `declared_at` (event time, so a replay scores it the same way); one older than every
    version gets the oldest.
    """

    def __init__(self, *policies: Policy):
        self._by_version: dict[str, Policy] = {}
        for policy in policies:
            self.add(policy)

    def add(self, policy: Policy) -> bool:
        """Take a version in; False if that version is already here (the first one stays)."""
        if policy.version in self._by_version:
            return False
        self._by_version[policy.version] = policy
        return True

    @property
    def policies(self) -> list[Policy]:
        """Oldest effective time first."""
        return sorted(
            self._by_version.values(), key=lambda p: (p.document.effective_from, p.version)
        )

    def for_time(self, at: datetime) -> Policy:
        chosen = None
        for policy in self.policies:
            if policy.document.effective_from <= at or chosen is None:
                chosen = policy
        if chosen is None:
            raise LookupError("no policy loaded")
        return chosen
