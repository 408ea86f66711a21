"""A new policy version published mid-stream scores exactly the declarations at or after its
effective time; an invalid one is refused and changes nothing."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter

import orjson

from screener.core.policy import DEFAULT_POLICY, load_policy
from screener.models import Assessment, Declaration
from screener.sim.declarations import generate
from screener.stream.clients import Produced, produce
from tests.integration.kafka_io import by_topic, collect, send_all

SHIPPED = load_policy().version  # the version in force before each test publishes another
NEW_VERSION = f"{SHIPPED}-test"
FILE_VERSION = f"{SHIPPED}-file"


def publish(pipeline, text: str, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / f"policy-{time.monotonic_ns()}.yaml"
    path.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "screener", "policy", "publish", str(path)],
        env=pipeline.env(0),
        capture_output=True,
        text=True,
        check=False,
    )


def wait_for_metric(pipeline, port: int, pattern: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if re.search(pattern, pipeline.http_get(port, "/metrics")[1], re.M):
            return
        time.sleep(0.3)
    raise AssertionError(f"no metric matching {pattern!r} after {timeout}s")


async def test_a_policy_published_mid_stream_scores_from_its_effective_time(pipeline, tmp_path):
    port = pipeline.start_worker()
    samples = [s for s in generate(160, seed=31) if not s.label.startswith("malformed")]
    first, second = samples[:60], samples[60:]
    await send_all(pipeline.bootstrap, pipeline.declarations, first)
    await collect(pipeline, lambda rs: len(by_topic(rs, pipeline.assessments)) >= len(first))

    # In force from the middle of the second batch, in event time.
    effective = Declaration.model_validate_json(second[30].value).declared_at
    shipped = DEFAULT_POLICY.read_text()
    invalid = shipped.replace("alert_threshold: 55", "alert_threshold: 555")
    broken = publish(pipeline, invalid, tmp_path)
    assert broken.returncode == 1 and "alert_threshold" in broken.stderr
    # Written to the topic by other means, the worker refuses it and keeps what it has.
    bad = Produced(b"policy:broken", invalid.encode(), [])
    await produce(pipeline.bootstrap, pipeline.reference, [bad])
    wait_for_metric(pipeline, port, r'^screener_policy_rejected_total{origin="topic"} 1\.0$')
    new = (
        shipped.replace(f'version: "{SHIPPED}"', f'version: "{NEW_VERSION}"')
        .replace(
            'effective_from: "2026-11-01T00:00:00Z"', f'effective_from: "{effective.isoformat()}"'
        )
        .replace("  CTRL_NO_LICENCE:\n    weight: 20", "  CTRL_NO_LICENCE:\n    weight: 40")
    )
    published = publish(pipeline, new, tmp_path)
    assert published.returncode == 0, published.stderr
    wait_for_metric(
        pipeline, port, rf'screener_policy_effective_from_seconds{{version="{NEW_VERSION}"}}'
    )

    await send_all(pipeline.bootstrap, pipeline.declarations, second)
    records = await collect(
        pipeline, lambda rs: len(by_topic(rs, pipeline.assessments)) >= len(samples)
    )
    assessments = [
        Assessment.model_validate_json(r.value) for r in by_topic(records, pipeline.assessments)
    ]
    assert len(assessments) == len(samples)
    for a in assessments:
        expected = NEW_VERSION if a.declared_at >= effective else SHIPPED
        assert a.policy_version == expected, (a.declaration_id, a.declared_at)
        weights = {h.code: h.points for h in a.indicators}
        if "CTRL_NO_LICENCE" in weights:
            assert weights["CTRL_NO_LICENCE"] == (40 if expected == NEW_VERSION else 20)
    by_version = Counter(a.policy_version for a in assessments)
    assert by_version[SHIPPED] == 90 and by_version[NEW_VERSION] == len(samples) - 90
    assert any(
        h.code == "CTRL_NO_LICENCE" and h.points == 40 for a in assessments for h in a.indicators
    )
    headers = {r.headers["policy-version"] for r in by_topic(records, pipeline.assessments)}
    assert headers == {SHIPPED.encode(), NEW_VERSION.encode()}
    assert orjson.loads(by_topic(records, pipeline.assessments)[0].value)["reference_versions"]


async def test_a_changed_policy_file_is_taken_in_without_a_restart(pipeline, tmp_path):
    policy_file = tmp_path / "policy.yaml"
    shipped = DEFAULT_POLICY.read_text()
    lists = str(DEFAULT_POLICY.parent.parent / "lists")
    policy_file.write_text(shipped.replace("../lists", lists))
    pipeline.extra_env = {
        "SCREENER_POLICY_FILE": str(policy_file),
        "SCREENER_POLICY_RELOAD_INTERVAL": "0.5",
    }
    port = pipeline.start_worker()
    policy_file.write_text(
        shipped.replace("../lists", lists).replace(
            f'version: "{SHIPPED}"', f'version: "{FILE_VERSION}"'
        )
    )
    wait_for_metric(
        pipeline, port, rf'screener_policy_effective_from_seconds{{version="{FILE_VERSION}"}}'
    )
    # A broken edit is refused; both versions stay loaded.
    policy_file.write_text(shipped.replace("severity_bands:", "severity_bandz:"))
    wait_for_metric(pipeline, port, r'^screener_policy_rejected_total{origin="file"} 1\.0$')
    text = pipeline.http_get(port, "/metrics")[1]
    assert f'version="{SHIPPED}"' in text and f'version="{FILE_VERSION}"' in text
