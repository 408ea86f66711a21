"""What the monitoring in deploy/ reads: the Prometheus rules and the Grafana dashboard,
their PromQL, and the series they name (tests/unit/test_monitoring.py checks them with
promtool; the pipeline's integration test against a running worker's /metrics)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
PROMETHEUS_CONFIG = DEPLOY / "prometheus/prometheus.yml"
RULES = DEPLOY / "prometheus/rules/screener.yml"
RULE_TESTS = DEPLOY / "prometheus/tests/screener_test.yml"
DASHBOARD = DEPLOY / "grafana/dashboards/screener.json"

# Grafana's variables, as a query sees them once Grafana has filled them in
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "3h", "$job": "screener"}
# Series named in PromQL: the workers' own, faust's and the Python client's process metrics
EXPORTED_PREFIXES = ("screener_", "faust_", "process_", "python_")
IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
SAMPLE_SUFFIXES = ("_bucket", "_count", "_sum")


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run promtool (Debian's `prometheus` package has it; `.ci/run` installs it)."""
    if shutil.which("promtool") is None:
        pytest.fail("promtool not found: install it (apt-get install prometheus)")
    return subprocess.run(
        ["promtool", *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def rules() -> list[dict]:
    return [
        rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    ]


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every panel's targets and the variables' queries, with
    Grafana's variables filled in."""
    board = dashboard()
    found = [
        (panel["title"], target["expr"])
        for panel in board["panels"]
        for target in panel.get("targets", [])
    ]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":  # label_values(METRIC, label): the metric is read
            metric = re.fullmatch(r"label_values\((\w+), *\w+\)", variable["definition"])
            assert metric, variable["definition"]
            found.append((f"${variable['name']}", metric[1]))
    filled = []
    for title, expr in found:
        for name, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(name, value)
        filled.append((title, expr))
    return filled


def series_read(expr: str) -> set[str]:
    """The exported series a PromQL expression names (not recorded ones, not labels)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values are not names
    return {name for name in IDENTIFIER.findall(bare) if name.startswith(EXPORTED_PREFIXES)}


def all_series_read() -> set[str]:
    exprs = [rule["expr"] for rule in rules()] + [expr for _, expr in dashboard_queries()]
    return set().union(*map(series_read, exprs))


def exported_families(metrics_text: str) -> set[str]:
    """Every series name a /metrics page can show, from its TYPE lines: a histogram's
    buckets, count and sum included, with or without any sample yet."""
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", metrics_text, re.M):
        names.add(name)
        if kind in ("histogram", "summary"):
            names.update(name + suffix for suffix in SAMPLE_SUFFIXES)
    return names
