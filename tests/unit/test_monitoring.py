"""The monitoring an SRE deploys (deploy/prometheus, deploy/grafana): valid for Prometheus,
its alerts tested on the cases they are for, and the dashboard's queries well formed."""

from __future__ import annotations

import yaml

from tests.monitoring import (
    PROMETHEUS_CONFIG,
    RULE_TESTS,
    all_series_read,
    dashboard,
    dashboard_queries,
    exported_families,
    promtool,
    rules,
    series_read,
)


def test_the_scrape_config_and_its_rules_are_valid():
    checked = promtool("check", "config", PROMETHEUS_CONFIG)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_alert_passes_its_rule_tests():
    tested = promtool("test", "rules", RULE_TESTS)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_is_seen_firing_by_a_rule_test():
    alerts = {rule["alert"] for rule in rules() if "alert" in rule}
    fired = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case["exp_alerts"]
    }
    assert alerts and alerts == fired


def test_every_alert_says_how_bad_and_what_happened():
    for rule in rules():
        if "alert" in rule:
            assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
            assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]


def test_every_dashboard_query_is_promql(tmp_path):
    # promtool parses an expression only inside a rule: each query becomes one.
    queries = dashboard_queries()
    as_rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{i}", "expr": expr}
                    for i, (_, expr) in enumerate(queries)
                ],
            }
        ]
    }
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump(as_rules))
    checked = promtool("check", "rules", path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{len(queries)} rules found" in checked.stdout


def test_the_dashboard_lays_out_its_panels_on_grafanas_grid():
    board = dashboard()
    panels = board["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            assert panel["targets"] and panel["description"], panel["title"]
    cells = [
        (p["gridPos"]["y"] + dy, p["gridPos"]["x"] + dx)
        for p in panels
        for dy in range(p["gridPos"]["h"])
        for dx in range(p["gridPos"]["w"])
    ]
    assert len(cells) == len(set(cells)), "panels overlap"


def test_series_read_are_the_names_not_the_labels_or_their_values():
    expr = (
        'sum by (job, topic) (rate(screener_alerts_total{job="screener", '
        'topic=~"faust_x"}[5m])) / on (job) job:screener_declarations_assessed:rate5m'
    )
    assert series_read(expr) == {"screener_alerts_total"}
    assert "screener_assessment_latency_seconds_bucket" in all_series_read()


def test_a_histograms_buckets_count_and_sum_are_exported_with_it():
    text = (
        "# HELP screener_assessment_score Distribution\n"
        "# TYPE screener_assessment_score histogram\n"
        "# TYPE screener_alerts_total counter\n"
    )
    assert exported_families(text) == {
        "screener_assessment_score",
        "screener_assessment_score_bucket",
        "screener_assessment_score_count",
        "screener_assessment_score_sum",
        "screener_alerts_total",
    }
