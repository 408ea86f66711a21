"""Published message contracts (pydantic v2).

These classes *are* the contracts: `screener contracts export` writes the JSON Schemas in
contracts/ from them, and a test fails when the committed schemas drift from the code.
Validation is strict where a wrong value would change a screening decision (countries,
HS codes, currencies, masses, amounts) and bounded everywhere, so one hostile message
cannot exhaust the worker.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

import pycountry
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

MAX_MESSAGE_BYTES = 1024 * 1024
MAX_ITEMS = 1000
MAX_DOCUMENTS = 100
MAX_PARTIES_TEXT = 300
MAX_EVIDENCE_CHARS = 2000  # of one indicator hit, whatever the number of lines it is about
MAX_FACT_ITEMS = 25  # entries of a list in one indicator hit's facts

COUNTRY_CODES = frozenset(c.alpha_2 for c in pycountry.countries)
_CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)


def _known_country(code: str) -> str:
    if code not in COUNTRY_CODES:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _not_a_boolean(value: Any) -> Any:
    # JSON true == 1 in Python; a boolean is never a schema version.
    if isinstance(value, bool):
        raise ValueError("schema_version must be the integer 1")
    return value


def _known_currency(code: str) -> str:
    if code not in _CURRENCIES:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


Country = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    AfterValidator(_known_country),
    Field(description="ISO 3166-1 alpha-2 country code", examples=["TH"]),
]
Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    AfterValidator(_known_currency),
    Field(description="ISO 4217 currency code", examples=["USD"]),
]
HsCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{6,10}$"),
    Field(description="Harmonized System code, 6 to 10 digits, no dots", examples=["8505111000"]),
]
LoCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}[A-Z0-9]{3}$"),
    Field(description="UN/LOCODE of a port or customs office", examples=["CNSHA"]),
]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,127}$")]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PARTIES_TEXT)
]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Contract(BaseModel):
    """Base for every published message: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --- shipment-declaration v1 -------------------------------------------------------------


class DeclarationType(StrEnum):
    EXPORT = "export"
    IMPORT = "import"
    RE_EXPORT = "re-export"
    TRANSIT = "transit"


class TransportMode(StrEnum):
    SEA = "sea"
    AIR = "air"
    ROAD = "road"
    RAIL = "rail"
    POST = "post"
    MULTIMODAL = "multimodal"


class DocumentType(StrEnum):
    COMMERCIAL_INVOICE = "commercial_invoice"
    PACKING_LIST = "packing_list"
    BILL_OF_LADING = "bill_of_lading"
    AIR_WAYBILL = "air_waybill"
    CERTIFICATE_OF_ORIGIN = "certificate_of_origin"
    EXPORT_LICENCE = "export_licence"
    END_USER_CERTIFICATE = "end_user_certificate"
    OTHER = "other"


class PaymentMethod(StrEnum):
    LETTER_OF_CREDIT = "letter_of_credit"
    WIRE_TRANSFER = "wire_transfer"
    DOCUMENTARY_COLLECTION = "documentary_collection"
    OPEN_ACCOUNT = "open_account"
    CASH = "cash"
    OTHER = "other"


class Party(Contract):
    id: Identifier | None = Field(None, description="Registry or customs id; null when unknown")
    name: ShortText
    country: Country
    address: LongText | None = None


class Parties(Contract):
    exporter: Party
    consignee: Party
    notify_party: Party | None = None
    freight_forwarder: Party | None = None
    end_user: Party | None = None
    declarant: Party | None = None

    def named(self) -> list[tuple[str, Party]]:
        """(role, party) for every party present, in contract order."""
        return [(role, p) for role in PARTY_ROLES if (p := getattr(self, role)) is not None]


PARTY_ROLES = (
    "exporter",
    "consignee",
    "notify_party",
    "freight_forwarder",
    "end_user",
    "declarant",
)


class Route(Contract):
    origin_country: Country
    dispatch_country: Country
    port_of_loading: LoCode | None = None
    transit_countries: list[Country] = Field(default_factory=list, max_length=20)
    port_of_discharge: LoCode | None = None
    destination_country: Country
    final_destination_country: Country | None = Field(
        None, description="Declared ultimate destination when it differs from the discharge country"
    )
    transport_mode: TransportMode


Amount = Annotated[Decimal, Field(ge=0, decimal_places=2, description="Decimal amount as a string")]


class Money(Contract):
    amount: Annotated[Amount, Field(max_digits=18)]
    currency: Currency


class Item(Contract):
    line: Annotated[int, Field(ge=1, le=MAX_ITEMS)]
    hs_code: HsCode
    description: LongText
    quantity: Annotated[Decimal, Field(gt=0, max_digits=18)]
    quantity_unit: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    net_mass_kg: Annotated[float, Field(gt=0, le=1e9)]
    value: Money
    origin_country: Country
    licence_ref: Identifier | None = Field(None, description="Export licence reference, if any")


class Document(Contract):
    type: DocumentType
    number: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    issuing_country: Country
    issued_at: date | None = None


class Payment(Contract):
    method: PaymentMethod
    payer_country: Country


class Amendment(Contract):
    field: Annotated[str, StringConstraints(pattern=r"^[a-z_]+(\.[a-z_0-9]+)*$", max_length=64)]
    amended_at: AwareDatetime


class Declaration(Contract):
    """A customs declaration of one shipment, as a logistics platform streams it."""

    model_config = ConfigDict(
        title="shipment-declaration", json_schema_extra={"x-schema-version": 1}
    )

    schema_version: Annotated[Literal[1], BeforeValidator(_not_a_boolean)]
    declaration_id: Identifier
    declared_at: AwareDatetime
    declaration_type: DeclarationType
    customs_office: LoCode
    parties: Parties
    route: Route
    items: Annotated[list[Item], Field(min_length=1, max_length=MAX_ITEMS)]
    documents: Annotated[list[Document], Field(max_length=MAX_DOCUMENTS)] = Field(
        default_factory=list
    )
    payment: Payment | None = None
    amendments: Annotated[list[Amendment], Field(max_length=100)] = Field(default_factory=list)


# --- screening-assessment v1 / screening-alert v1 ------------------------------------------


class Severity(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class IndicatorHit(Contract):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{2,63}$")] = Field(
        description="Stable indicator code, e.g. CTRL_HUB_TRANSIT"
    )
    title: str = Field(description="Short human-readable name of the indicator")
    points: Annotated[float, Field(ge=0, le=100)]
    evidence: str = Field(
        max_length=MAX_EVIDENCE_CHARS,
        description="Why it fired, in words an analyst can check. Over many lines of a "
        "declaration: the first ones, then how many more (e.g. '; and 443 more').",
    )
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description=f"The values behind the evidence, for dashboards. A list holds at most "
        f"{MAX_FACT_ITEMS} entries; `<name>_more` then says how many of `<name>` were left out.",
    )


class Assessment(Contract):
    """The screening result of one declaration: the audit trail, one per valid declaration."""

    model_config = ConfigDict(
        title="screening-assessment", json_schema_extra={"x-schema-version": 1}
    )

    schema_version: Literal[1] = 1
    declaration_id: Identifier
    declared_at: AwareDatetime
    score: Annotated[float, Field(ge=0, le=100)]
    severity: Severity
    indicators: list[IndicatorHit] = Field(
        description="Indicators that fired, highest points first"
    )
    policy_version: str
    reference_versions: dict[str, str] = Field(
        default_factory=dict, description="Version of each screening list the policy loaded"
    )
    assessed_at: AwareDatetime
    trace_id: str | None = None
    history_digest: str | None = Field(
        None,
        description="Fingerprint of the point-in-time history features the score was computed "
        "from; null when screened without history",
    )


def alert_id_for(declaration_id: str, policy_version: str) -> str:
    """Deterministic id: a redelivered declaration scored by the same policy gives the same id."""
    digest = hashlib.sha256(f"{declaration_id}\x1f{policy_version}".encode()).hexdigest()
    return f"alr_{digest[:32]}"


class SubjectParty(Contract):
    role: Literal[PARTY_ROLES]  # type: ignore[valid-type]
    name: ShortText
    country: Country
    id: Identifier | None = None


class Total(Contract):
    amount: Annotated[Amount, Field(max_digits=21)]  # MAX_ITEMS lines of Money's largest
    currency: Currency


class SubjectGoods(Contract):
    lines: Annotated[int, Field(ge=1, le=MAX_ITEMS)]
    hs_codes: list[HsCode] = Field(
        max_length=MAX_FACT_ITEMS,
        description=f"Its distinct HS codes in line order, the first {MAX_FACT_ITEMS}",
    )
    hs_codes_more: Annotated[int, Field(ge=0)] = 0
    controlled_groups: list[str] = Field(
        description="Titles of the policy's controlled commodity groups the lines fall in"
    )
    net_mass_kg: Annotated[float, Field(ge=0)]
    values: list[Total] = Field(description="The lines' declared value, summed per currency")


class Subject(Contract):
    """Who and what an alert is about, copied from the declaration, so that a dashboard can
    show, filter and group alerts by party, country, route and goods without the input."""

    declaration_type: DeclarationType
    customs_office: LoCode
    parties: list[SubjectParty] = Field(description="Every party the declaration names")
    route: Route
    goods: SubjectGoods
    payer_country: Country | None = None


class Alert(Assessment):
    """An assessment at or above the policy's alert threshold."""

    model_config = ConfigDict(title="screening-alert", json_schema_extra={"x-schema-version": 1})

    alert_id: str = Field(
        description="sha256(declaration_id, policy_version): stable across redelivery"
    )
    subject: Subject | None = Field(
        None,
        description="Who and what the alert is about, from the declaration. Absent only from "
        "alerts published before it was added.",
    )
    entities: list[str] = Field(
        default_factory=list,
        description="Keys of the histories the declaration was judged against and added to "
        "(its parties, address, lane, goods, flows, documents): a disposition of the alert "
        "is recorded on these. Empty only in alerts published before it was added.",
    )

    @classmethod
    def from_assessment(
        cls,
        assessment: Assessment,
        subject: Subject | None = None,
        entities: list[str] | None = None,
    ) -> Alert:
        return cls(
            **assessment.model_dump(),
            alert_id=alert_id_for(assessment.declaration_id, assessment.policy_version),
            subject=subject,
            entities=entities or [],
        )


# --- screening-disposition v1 ------------------------------------------------------------


class Verdict(StrEnum):
    TRUE_HIT = "true_hit"  # diversion (or an attempt) confirmed
    FALSE_POSITIVE = "false_positive"  # the alert cleared


class Disposition(Contract):
    """An analyst's verdict on an alert, sent back so that history remembers it."""

    model_config = ConfigDict(
        title="screening-disposition", json_schema_extra={"x-schema-version": 1}
    )

    schema_version: Annotated[Literal[1], BeforeValidator(_not_a_boolean)]
    declaration_id: Identifier
    alert_id: Annotated[str, StringConstraints(pattern=r"^alr_[0-9a-f]{32}$")] = Field(
        description="The alert decided, as published"
    )
    verdict: Verdict
    analyst: ShortText = Field(description="Who decided: a user id or name, for the audit trail")
    decided_at: AwareDatetime
    note: LongText | None = None


SCHEMAS: dict[str, type[Contract]] = {
    "shipment-declaration": Declaration,
    "screening-assessment": Assessment,
    "screening-alert": Alert,
    "screening-disposition": Disposition,
}
