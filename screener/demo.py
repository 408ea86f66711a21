"""The main job in one command: local Kafka, the worker, sample traffic, alerts on screen.

Everything the demo starts it also stops, on success, on error and on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from screener import local_kafka
from screener.console import VERDICT_COLUMNS, alerts_table, impact_table, make_console
from screener.core.policy import load_policy
from screener.feedback import decided
from screener.models import Alert, Assessment, Disposition, Verdict
from screener.observability.probe import http_get, metric_total
from screener.settings import Settings
from screener.sim.declarations import generate
from screener.stream.clients import Produced, end_offsets, produce, tail
from screener.stream.envelopes import encode
from screener.stream.topics import ensure_pipeline_topics


def wait_healthy(
    host: str, port: int, worker: subprocess.Popen, log_path: Path, timeout: float = 120
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}; see {log_path}")
        if http_get(port, "/health", host)[0] == 200:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the worker did not become healthy within {timeout:.0f} s; see {log_path}")


def start_worker(settings: Settings, bootstrap: str, log_path: Path) -> subprocess.Popen:
    # The local broker is plaintext, whatever SCREENER_KAFKA_* says about another cluster.
    env = {
        **os.environ,
        "SCREENER_KAFKA_BOOTSTRAP": bootstrap,
        "SCREENER_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
    }
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "screener", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(proc: subprocess.Popen, grace: float = 30) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def stream_and_show(
    console: Console,
    settings: Settings,
    bootstrap: str,
    count: int,
    rate: float,
    seed: int,
    timeout: float,
) -> bool:
    """Produce the sample stream and print alerts as they arrive; True if all were accounted for."""
    samples = generate(count, seed=seed)
    labels = {s.declaration_id: s.label for s in samples if s.declaration_id}
    outputs = [settings.assessments_topic, settings.alerts_topic, settings.dead_letter_topic]
    start = await end_offsets(bootstrap, outputs)
    messages = [
        Produced(
            s.key,
            s.value,
            [("content-type", b"application/json"), ("trace-id", f"demo-{i:06d}".encode())],
        )
        for i, s in enumerate(samples)
    ]
    producer = asyncio.create_task(produce(bootstrap, settings.declarations_topic, messages, rate))
    assessed, dead, alerts = 0, Counter(), []
    pending: list[Alert] = []
    last_print = time.monotonic()
    deadline = time.monotonic() + timeout

    def flush() -> None:
        if pending:
            console.print(alerts_table(pending))
            pending.clear()

    records = tail(bootstrap, outputs, start)
    try:
        while assessed + sum(dead.values()) < count and time.monotonic() < deadline:
            try:
                record = await asyncio.wait_for(anext(records), timeout=1.0)
            except TimeoutError:
                flush()
                continue
            if record.topic == settings.assessments_topic:
                Assessment.model_validate_json(record.value)
                assessed += 1
            elif record.topic == settings.dead_letter_topic:
                dead[record.headers.get("dlq-error-code", b"?").decode()] += 1
            else:
                alert = Alert.model_validate_json(record.value)
                alerts.append(alert)
                pending.append(alert)
            if time.monotonic() - last_print > 1.0:
                flush()
                last_print = time.monotonic()
        flush()
    finally:
        await records.aclose()
        await producer

    planted = {d for d, label in labels.items() if label.startswith("planted")}
    alerted = {a.declaration_id for a in alerts}
    severities = Counter(a.severity.value for a in alerts)
    console.rule("summary")
    console.print(
        f"produced {count}  assessed {assessed}  dead-lettered {sum(dead.values())} "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(dead.items())) or 'none'})\n"
        f"alerts {len(alerts)} ({', '.join(f'{k}: {v}' for k, v in sorted(severities.items()))}); "
        f"planted diversion caught {len(planted & alerted)}/{len(planted)}; "
        f"ordinary traffic alerted {len(alerted - planted)}/{len(labels) - len(planted)}"
    )
    await analysts_decide(console, settings, bootstrap, alerts, planted)
    return assessed + sum(dead.values()) == count


async def analysts_decide(
    console: Console, settings: Settings, bootstrap: str, alerts: list[Alert], planted: set[str]
) -> None:
    """The analysts' side of the loop, as a case tool sends it: each alert decided from the
    sample's labels (a planted declaration's confirmed, an ordinary one's cleared) and sent to
    the dispositions topic, where the worker records it on the history of what the alert was
    about. Then what the verdicts say of each indicator, as `screener verdicts` prints it."""
    now = datetime.now(UTC)
    dispositions = [
        Disposition(
            schema_version=1,
            declaration_id=alert.declaration_id,
            alert_id=alert.alert_id,
            verdict=Verdict.TRUE_HIT if alert.declaration_id in planted else Verdict.FALSE_POSITIVE,
            analyst="demo-analyst",
            decided_at=now,
        )
        for alert in {a.alert_id: a for a in alerts}.values()
    ]
    if not dispositions:
        return
    values = [encode(d) for d in dispositions]
    messages = [
        Produced(d.declaration_id.encode(), v, [])
        for d, v in zip(dispositions, values, strict=True)
    ]
    await produce(bootstrap, settings.dispositions_topic, messages)
    recorded = await recorded_verdicts(settings, len(dispositions))
    threshold = load_policy(settings.policy_file).document.scoring.alert_threshold
    result = decided([encode(a) for a in alerts], values, threshold)
    console.rule("analysts' verdicts")
    console.print(
        f"{len(dispositions)} alerts decided and sent to {settings.dispositions_topic}, as a "
        f"case tool would: {result.confirmed} confirmed, {result.cleared} cleared; the worker "
        f"recorded {recorded:.0f} of them on the history of what they were about"
    )
    console.print(impact_table(result.indicators, VERDICT_COLUMNS))


async def recorded_verdicts(settings: Settings, expected: int, timeout: float = 30) -> float:
    """The verdicts the worker has recorded, once `expected` are or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        text = http_get(settings.web_port, "/metrics", settings.web_host)[1]
        recorded = metric_total(text, "screener_dispositions_total")
        if recorded >= expected or time.monotonic() > deadline:
            return recorded
        await asyncio.sleep(0.5)


def run_demo(settings: Settings, count: int, rate: float, seed: int, keep_running: bool) -> int:
    console = make_console()
    state_dir = settings.local_kafka_dir
    ours = local_kafka.status(state_dir) is None
    console.print(f"[bold]starting Apache Kafka[/] on 127.0.0.1:{settings.local_kafka_port} ...")
    broker = local_kafka.up(port=settings.local_kafka_port, state_dir=state_dir)
    if ours:
        # A fresh broker has empty changelogs: state kept from an earlier demo would not match.
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    worker = None
    try:
        on_broker = settings.model_copy(
            update={"kafka_bootstrap": broker.bootstrap, "kafka_security_protocol": "PLAINTEXT"}
        )
        asyncio.run(ensure_pipeline_topics(on_broker))
        log_path = settings.data_dir.parent / "worker.log"
        console.print(f"[bold]starting the screener worker[/] (log: {log_path}) ...")
        worker = start_worker(settings, broker.bootstrap, log_path)
        base = f"http://{settings.web_host}:{settings.web_port}"
        wait_healthy(settings.web_host, settings.web_port, worker, log_path)
        console.print(
            f"worker healthy; metrics at [bold]{base}/metrics[/], health at {base}/health"
        )
        console.print(f"[bold]streaming {count} sample declarations[/] at {rate:.0f}/s ...")
        complete = asyncio.run(
            stream_and_show(
                console, settings, broker.bootstrap, count, rate, seed, timeout=count / rate + 120
            )
        )
        console.print(f"metrics: {base}/metrics   health: {base}/health")
        if keep_running:
            console.print("running; press Ctrl-C to stop the worker and Kafka")
            with contextlib.suppress(KeyboardInterrupt):
                while worker.poll() is None:
                    time.sleep(1)
        return 0 if complete else 1
    finally:
        console.print("stopping ...")
        if worker is not None:
            stop_process(worker)
        if ours:
            local_kafka.down(state_dir)
