"""An alert says who and what it is about, read from the declaration it was raised on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import orjson

from screener.console import about
from screener.core.assess import alert_for, assess
from screener.core.context import Context
from screener.core.subject import subject_of
from screener.models import MAX_FACT_ITEMS, PARTY_ROLES, Alert, Total
from screener.stream.envelopes import Incoming, Output
from tests.conftest import EXAMPLE, screen_statelessly


def item(line: int, hs_code: str, amount: str, currency: str, kg: float) -> dict:
    return {
        "line": line,
        "hs_code": hs_code,
        "description": "goods",
        "quantity": 1,
        "quantity_unit": "pcs",
        "net_mass_kg": kg,
        "value": {"amount": amount, "currency": currency},
        "origin_country": "CN",
        "licence_ref": None,
    }


def party(name: str, country: str) -> dict:
    return {"id": None, "name": name, "country": country, "address": None}


def test_the_example_alert_names_its_parties_route_and_goods(declaration, policy):
    d = declaration()
    alert = alert_for(assess(d, policy), policy, d)
    assert alert is not None and alert.subject is not None
    subject = alert.subject
    assert [(p.role, p.name, p.country) for p in subject.parties] == [
        ("exporter", "Shanghai Xinda Magnetics Co., Ltd.", "CN"),
        ("consignee", "Siam Precision Trading Co., Ltd.", "TH"),
    ]
    assert subject.parties[0].id == "CN-91310000MA1FL"
    assert subject.route == d.route and subject.route.final_destination_country == "MX"
    assert subject.goods.hs_codes == ["8505111000"]
    assert subject.goods.controlled_groups == ["Rare-earth permanent magnets"]
    assert subject.goods.values == [Total(amount=Decimal("86400.00"), currency="USD")]
    assert subject.payer_country == "AE"
    assert (subject.declaration_type, subject.customs_office) == ("export", "CNSHA")


def test_goods_are_summed_per_currency_and_codes_listed_once_in_line_order(declaration, policy):
    lines = [
        item(1, "8505111000", "100.10", "USD", 1.5),
        item(2, "8471500000", "0.05", "EUR", 2.25),
        item(3, "8505111000", "0.20", "USD", 0.25),
        item(4, "9403600000", "10.00", "EUR", 4.0),
    ]
    d = declaration(True, items=lines, payment=None)
    goods = subject_of(Context(d, policy)).goods
    assert goods.lines == 4
    assert goods.hs_codes == ["8505111000", "8471500000", "9403600000"]
    assert goods.hs_codes_more == 0
    assert goods.values == [  # exact decimals, currencies in order
        Total(amount=Decimal("10.05"), currency="EUR"),
        Total(amount=Decimal("100.30"), currency="USD"),
    ]
    assert goods.net_mass_kg == 8.0
    assert goods.controlled_groups == [
        "Rare-earth permanent magnets",
        "Advanced integrated circuits and servers",
    ]
    assert subject_of(Context(d, policy)).payer_country is None


def test_many_codes_are_bounded_like_facts_and_every_party_role_is_named(declaration, policy):
    lines = [item(n, f"{730000 + n}", "1.00", "USD", 1.0) for n in range(1, MAX_FACT_ITEMS + 8)]
    roles = {
        "parties.notify_party": party("Notify Ltd", "TH"),
        "parties.freight_forwarder": party("Forward Co", "SG"),
        "parties.end_user": party("End User GmbH", "DE"),
        "parties.declarant": party("Broker Inc", "CN"),
    }
    d = declaration(True, items=lines, **roles)
    subject = subject_of(Context(d, policy))
    assert len(subject.goods.hs_codes) == MAX_FACT_ITEMS
    assert subject.goods.hs_codes_more == 7
    assert subject.goods.controlled_groups == []
    assert tuple(p.role for p in subject.parties) == PARTY_ROLES  # all, in contract order


def test_the_published_alert_carries_the_subject_and_the_assessment_does_not(policy):
    record = Incoming("shipments.declarations.v1", 0, 0, b"k", EXAMPLE.read_bytes(), [])
    screened = screen_statelessly(record, policy, datetime(2026, 11, 28, 10, tzinfo=UTC))
    published = {out.output: orjson.loads(out.value) for out in screened.outgoing}
    assert "subject" not in published[Output.ASSESSMENTS]
    alert = Alert.model_validate(published[Output.ALERTS])
    assert alert.subject is not None
    assert alert.subject.parties[1].name == "Siam Precision Trading Co., Ltd."


def test_the_alerts_table_shows_who_where_and_what(declaration, policy):
    d = declaration(**{"route.transit_countries": ["MY"]})
    alert = alert_for(assess(d, policy), policy, d)
    assert about(alert).splitlines() == [
        "Shanghai Xinda Magnetics Co., Ltd. (CN)",
        "→ Siam Precision Trading Co., Ltd. (TH)",
        "CN → MY → TH → MX · Rare-earth permanent magnets",
    ]
    published_before_subjects = alert.model_copy(update={"subject": None})
    assert about(published_before_subjects) == ""
