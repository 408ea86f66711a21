"""The policy document is data: validated with readable errors, never half-loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from screener.core.policy import DEFAULT_POLICY, PolicyError, load_policy
from screener.models import Severity


def write_policy(tmp_path: Path, **changes) -> Path:
    doc = yaml.safe_load(DEFAULT_POLICY.read_text())
    for spec in doc["screening_lists"]:
        spec["path"] = str(DEFAULT_POLICY.parent / spec["path"])
    for key, value in changes.items():
        doc[key] = value
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


SHIPPED_VERSION = yaml.safe_load(DEFAULT_POLICY.read_text())["version"]


def test_the_shipped_policy_loads_with_its_lists(policy):
    assert policy.version == SHIPPED_VERSION
    assert policy.screening.size == 12 + 16 + 12  # CSL CSV, OFAC SDN trio, UN XML samples
    assert policy.list_versions == {
        "us-csl": "sample-2026-11-01",
        "ofac-sdn": "sample-2026-11-01",
        "un-consolidated": "sample-2026-11-01",
    }
    assert policy.catalogue.controlled_group("8505111000").key == "rare_earth_magnets"
    assert policy.catalogue.controlled_group("8505200000") is None
    assert {"TH", "MX", "KZ"} <= policy.catalogue.controlled_group("2805301100").hubs


def test_longest_hs_prefix_wins(policy):
    assert policy.catalogue.unit_value_range("7202999100").hs_prefix == "720299"
    assert policy.catalogue.controlled_group("7202999100").key == "rare_earth_ferroalloys"
    assert policy.catalogue.controlled_group("7202990000") is None


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        (0, Severity.NONE),
        (14.9, Severity.NONE),
        (15, Severity.LOW),
        (54, Severity.MEDIUM),
        (55, Severity.HIGH),
        (80, Severity.CRITICAL),
        (100, Severity.CRITICAL),
    ],
)
def test_severity_bands(policy, score, severity):
    assert policy.document.scoring.severity_bands.severity_of(score) is severity


def test_weights_come_from_the_document(tmp_path, declaration):
    doc = yaml.safe_load(DEFAULT_POLICY.read_text())
    doc["indicators"]["CTRL_NO_LICENCE"]["weight"] = 42
    doc["indicators"]["PAYER_THIRD_COUNTRY"]["weight"] = 0  # switched off
    policy = load_policy(write_policy(tmp_path, indicators=doc["indicators"]))
    from screener.core.assess import assess

    result = assess(declaration(), policy)
    assert {h.code: h.points for h in result.indicators}["CTRL_NO_LICENCE"] == 42
    assert "PAYER_THIRD_COUNTRY" not in {h.code for h in result.indicators}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"indicators": {"NO_SUCH_CODE": {"weight": 1}}},
            "unknown indicator codes ['NO_SUCH_CODE']",
        ),
        (
            {"indicators": {"UNIT_VALUE_OUTLIER": {"weight": 1, "params": {"tolerence": 1}}}},
            "tolerence",
        ),
        (
            {
                "scoring": {
                    "alert_threshold": 50,
                    "severity_bands": {"low": 50, "medium": 40, "high": 60, "critical": 80},
                }
            },
            "severity bands must ascend",
        ),
        ({"hub_sets": {"seed": ["Thailand"]}}, "hub_sets.seed.0"),
        ({"unit_values_usd_per_kg": {"8505": {"min": 10, "max": 5}}}, "must be below max"),
        ({"effective_from": "2026-11-01"}, "effective_from"),
    ],
)
def test_invalid_policies_are_refused_with_the_reason(tmp_path, changes, message):
    with pytest.raises(PolicyError, match="invalid policy") as caught:
        load_policy(write_policy(tmp_path, **changes))
    assert message in str(caught.value)


def test_a_broken_list_file_names_file_and_line(tmp_path):
    bad_list = tmp_path / "list.csv"
    original = (DEFAULT_POLICY.parent / "../lists/csl-sample.csv").read_text().splitlines()
    bad_list.write_text("\n".join([original[0], original[1] + ',"extra","cells"']) + "\n")
    path = write_policy(
        tmp_path,
        screening_lists=[{"id": "x", "format": "csl", "path": str(bad_list), "version": "1"}],
    )
    with pytest.raises(PolicyError, match=r"list\.csv:2"):
        load_policy(path)


def test_a_missing_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read policy"):
        load_policy(tmp_path / "nope.yaml")


def test_the_book_scores_each_declaration_with_the_version_in_force_at_its_time(tmp_path):
    from datetime import UTC, datetime

    from screener.core.policy import PolicyBook

    november = load_policy()
    doc = yaml.safe_load(DEFAULT_POLICY.read_text())
    doc["version"], doc["effective_from"] = "2026.12.0", "2026-12-01T00:00:00Z"
    doc["screening_lists"] = []
    december = load_policy(write_policy(tmp_path, **doc))
    book = PolicyBook(december, november)
    assert [p.version for p in book.policies] == [SHIPPED_VERSION, "2026.12.0"]
    assert book.for_time(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)).version == SHIPPED_VERSION
    assert book.for_time(datetime(2026, 12, 1, tzinfo=UTC)).version == "2026.12.0"
    assert book.for_time(datetime(2025, 1, 1, tzinfo=UTC)).version == SHIPPED_VERSION  # oldest
    assert book.add(load_policy()) is False  # a version is taken in once


def test_a_reference_record_holds_a_policy_only_under_a_policy_key():
    from screener.stream.reference import policy_in

    text = DEFAULT_POLICY.read_bytes()
    base = DEFAULT_POLICY.parent
    assert policy_in(b"policy:x", text, base, "t:0:0").version == load_policy().version
    assert policy_in(b"list:x", text, base, "t:0:1") is None  # something else on the topic
    assert policy_in(b"policy:x", None, base, "t:0:2") is None  # a tombstone
    with pytest.raises(PolicyError, match="t:0:3: not UTF-8"):
        policy_in(b"policy:x", b"\xff" + text, base, "t:0:3")
    with pytest.raises(PolicyError, match="t:0:4"):
        policy_in(b"policy:x", b"version: [", base, "t:0:4")
