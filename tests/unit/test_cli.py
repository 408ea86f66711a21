"""The command line as a person uses it: screening names against a list file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import orjson
from typer.testing import CliRunner

from screener.cli import app

LISTS = "screener/data/lists"
runner = CliRunner()


def lines(output: str) -> list[dict]:
    return [orjson.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_match_screens_names_against_a_list_file_and_explains():
    result = runner.invoke(
        app,
        [
            "match",
            "--list",
            f"{LISTS}/csl-sample.csv",
            "Golden Lotos Magnet Tradng",
            "Acme Widgets",
        ],
    )
    assert result.exit_code == 0, result.output
    near_miss, unrelated = lines(result.output)
    assert near_miss["verdict"] == "match"
    assert near_miss["matches"][0]["name"] == "Golden Lotus Magnet Trading Co. Ltd."
    assert "lotos~lotus" in near_miss["matches"][0]["explanation"]
    assert unrelated["verdict"] == "no match"


def test_match_reads_other_formats_and_names_from_stdin():
    result = runner.invoke(
        app,
        ["match", "--list", f"{LISTS}/sdn-sample/sdn.csv", "--format", "sdn"],
        input="Arktika Tekhnologii\n",
    )
    assert result.exit_code == 0, result.output
    assert lines(result.output)[0]["verdict"] == "match"


def test_a_broken_list_file_is_named_with_its_line(tmp_path):
    broken = tmp_path / "list.csv"
    broken.write_text('_id,source,name,alt_names,addresses,programs,type\n1,x,"unterminated\n')
    result = runner.invoke(app, ["match", "--list", str(broken), "anything"])
    assert result.exit_code == 1
    assert "list.csv" in result.output


def test_the_shipped_policy_validates_with_all_three_sample_lists():
    result = runner.invoke(app, ["policy", "validate", "screener/data/policy/policy.yaml"])
    assert result.exit_code == 0, result.output
    assert "list entries" in result.output


def test_a_worker_that_cannot_reach_the_cluster_says_so_in_one_line(tmp_path):
    """Nothing listens on the port: the worker stops before faust starts, with the reason."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    port = closed.getsockname()[1]
    try:
        result = subprocess.run(
            [sys.executable, "-m", "screener", "worker"],
            env={
                **os.environ,
                "SCREENER_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
                "SCREENER_DATA_DIR": str(tmp_path),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        closed.close()
    assert result.returncode == 1
    assert f"error: KafkaConnectionError: Unable to bootstrap from [('127.0.0.1', {port}" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr + result.stdout


def test_a_disposition_that_is_not_one_is_refused_before_kafka():
    # No broker listens on port 1: a disposition that got as far as sending would fail there.
    env = {"SCREENER_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    args = ["dispose", "CN-1", "alr_" + "0" * 32, "--analyst", "a"]
    result = runner.invoke(app, [*args, "--verdict", "maybe"], env=env)
    assert result.exit_code == 2
    assert "verdict: Input should be 'true_hit' or 'false_positive'" in result.output
    result = runner.invoke(
        app, ["dispose", "CN-1", "alr_x", "--verdict", "true_hit", "--analyst", "a"], env=env
    )
    assert result.exit_code == 2 and "alert_id" in result.output
