"""Integration tests run against a real Kafka broker.

By default one throwaway single-node broker (screener.local_kafka) is started per pytest
session on free loopback ports and stopped at the end, whatever happens. Set
SCREENER_TEST_BOOTSTRAP=host:port to use an already running broker instead.

Tests get unique topics from ``topic_factory`` so they never see each other's records.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from screener import local_kafka
from screener.observability.probe import http_get
from screener.settings import Settings
from screener.stream.topics import LARGE_RECORDS

HERE = Path(__file__).resolve().parent

TopicFactory = Callable[..., Awaitable[str]]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees every collected item, not only ours: mark just the ones under this folder.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """bootstrap_servers string of the broker the integration tests use."""
    if external := os.environ.get("SCREENER_TEST_BOOTSTRAP"):
        yield external
        return
    state_dir = tmp_path_factory.mktemp("kafka")
    port = local_kafka.free_port_pair()
    # atexit as well as finally: covers an interrupted session whose fixture teardown is skipped.
    atexit.register(local_kafka.down, state_dir)
    info = local_kafka.up(port=port, controller_port=port + 1, state_dir=state_dir)
    try:
        yield info.bootstrap
    finally:
        local_kafka.down(state_dir)


@pytest.fixture(scope="session")
async def topic_factory(kafka_bootstrap: str) -> AsyncIterator[TopicFactory]:
    """``await topic_factory("orders", partitions=3, config={...})`` -> new unique topic name.

    Waits until every partition has a leader, so producers/consumers can start at once.
    Topics are deleted at the end of the session (matters with SCREENER_TEST_BOOTSTRAP).
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    created: list[str] = []

    async def new_topic(
        name_prefix: str = "test", partitions: int = 1, config: dict[str, str] | None = None
    ) -> str:
        name = f"{name_prefix}-{uuid.uuid4().hex[:12]}"
        resp = await admin.create_topics(
            [NewTopic(name, partitions, 1, topic_configs=config or {})]
        )
        errors = [e for e in resp.topic_errors if e[1] != 0]
        if errors:
            raise RuntimeError(f"creating topic {name} failed: {errors}")
        created.append(name)
        await _wait_for_leaders(admin, name, partitions)
        return name

    try:
        yield new_topic
    finally:
        if created:
            # Best effort: a throwaway broker is deleted with its topics anyway.
            with contextlib.suppress(Exception):
                await admin.delete_topics(created)
        await admin.close()


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, topic: str, partitions: int, timeout: float = 30
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        (meta,) = await admin.describe_topics([topic])
        parts = meta["partitions"]
        if (
            meta["error_code"] == 0
            and len(parts) == partitions
            and all(p["leader"] >= 0 for p in parts)
        ):
            return
        if loop.time() > deadline:
            raise TimeoutError(f"topic {topic} has no leaders after {timeout}s: {meta}")
        await asyncio.sleep(0.1)


def broker_properties(changes: dict[str, str]) -> str:
    """deploy/kafka's server.properties template with some properties set otherwise (or
    added), for a broker of a test's own (`local_kafka.up(properties=...)`)."""
    template = (local_kafka.deploy_dir() / "server.properties.template").read_text()
    kept = [line for line in template.splitlines() if line.split("=", 1)[0].strip() not in changes]
    return "\n".join([*kept, *(f"{key}={value}" for key, value in changes.items())]) + "\n"


def screener_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`screener ARGS` run as a process, with `env` over this one's environment."""
    return subprocess.run(
        [sys.executable, "-m", "screener", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --------------------------------------------------------------------------- the worker


@dataclass
class Pipeline:
    """One isolated screening pipeline: its own topics, consumer group and worker processes."""

    bootstrap: str
    declarations: str
    dead_letters: str
    assessments: str
    alerts: str
    workdir: Path
    reference: str = field(default_factory=lambda: f"reference-{uuid.uuid4().hex[:12]}")
    dispositions: str = field(default_factory=lambda: f"dispositions-{uuid.uuid4().hex[:12]}")
    disposition_dead_letters: str = field(
        default_factory=lambda: f"disposition-dlq-{uuid.uuid4().hex[:12]}"
    )
    extra_env: dict[str, str] = field(default_factory=dict)
    app_id: str = field(default_factory=lambda: f"screener-test-{uuid.uuid4().hex[:8]}")
    workers: list[subprocess.Popen] = field(default_factory=list)
    web_ports: list[int] = field(default_factory=list)

    @classmethod
    def on_topics_of(cls, settings: Settings, workdir: Path, extra_env: dict[str, str]):
        """A pipeline with the topics and app id `settings` name (on a broker of its own:
        they are the default names)."""
        workdir.mkdir(parents=True, exist_ok=True)
        return cls(
            bootstrap=settings.kafka_bootstrap,
            declarations=settings.declarations_topic,
            dead_letters=settings.dead_letter_topic,
            assessments=settings.assessments_topic,
            alerts=settings.alerts_topic,
            workdir=workdir,
            reference=settings.reference_topic,
            dispositions=settings.dispositions_topic,
            disposition_dead_letters=settings.dispositions_dead_letter_topic,
            extra_env=extra_env,
            app_id=settings.app_id,
        )

    @property
    def outputs(self) -> list[str]:
        return [self.assessments, self.alerts, self.dead_letters]

    @property
    def history_changelog(self) -> str:
        return f"{self.app_id}-history-changelog"

    def env(self, web_port: int) -> dict[str, str]:
        return {
            **os.environ,
            "SCREENER_KAFKA_BOOTSTRAP": self.bootstrap,
            "SCREENER_APP_ID": self.app_id,
            "SCREENER_DECLARATIONS_TOPIC": self.declarations,
            "SCREENER_DEAD_LETTER_TOPIC": self.dead_letters,
            "SCREENER_ASSESSMENTS_TOPIC": self.assessments,
            "SCREENER_ALERTS_TOPIC": self.alerts,
            "SCREENER_REFERENCE_TOPIC": self.reference,
            "SCREENER_DISPOSITIONS_TOPIC": self.dispositions,
            "SCREENER_DISPOSITIONS_DEAD_LETTER_TOPIC": self.disposition_dead_letters,
            "SCREENER_WEB_PORT": str(web_port),
            "SCREENER_DATA_DIR": str(self.workdir / f"worker-{web_port}"),
            "SCREENER_BROKER_SESSION_TIMEOUT": "10",
            "SCREENER_BROKER_HEARTBEAT_INTERVAL": "2",
            **self.extra_env,
        }

    def start_worker(self, timeout: float = 90) -> int:
        """Start `screener worker` and wait until /health answers 200; returns its web port."""
        port = local_kafka.free_port_pair()
        log = (self.workdir / f"worker-{port}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "screener", "worker"],
            env=self.env(port),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(proc)
        self.web_ports.append(port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited {proc.returncode}: {self.log_tail(port)}")
            if self.http_get(port, "/health")[0] == 200:
                return port
            time.sleep(0.3)
        raise TimeoutError(f"worker not healthy after {timeout}s: {self.log_tail(port)}")

    def start_workers(self, n: int, partitions: int, timeout: float = 120) -> list[int]:
        """Start n workers, then wait until the group is settled: every worker healthy and
        the input partitions shared out among them, each exactly once, for 3 checks running."""
        ports = [self.start_worker(timeout) for _ in range(n)]
        deadline, settled = time.monotonic() + timeout, 0
        while settled < 3:
            if time.monotonic() > deadline:
                tails = "\n".join(self.log_tail(p, 10) for p in ports)
                raise TimeoutError(f"worker group not settled after {timeout}s:\n{tails}")
            answers = [self.http_get(p, "/health") for p in ports]
            assigned = [
                part
                for status, body in answers
                if status == 200
                for part in json.loads(body)["assigned_partitions"]
            ]
            healthy = all(status == 200 for status, _ in answers)
            settled = (
                settled + 1 if healthy and len(assigned) == len(set(assigned)) == partitions else 0
            )
            time.sleep(1)
        return ports

    def log_tail(self, port: int, lines: int = 30) -> str:
        text = (self.workdir / f"worker-{port}.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    http_get = staticmethod(http_get)

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def stop_all(self) -> None:
        for proc in self.workers:
            self.kill(proc)


@pytest.fixture
async def make_pipeline(kafka_bootstrap: str, topic_factory: TopicFactory, tmp_path: Path):
    """``await make_pipeline(partitions=6)`` -> a new isolated Pipeline; all stopped at the end."""
    made: list[Pipeline] = []

    async def make(partitions: int = 3, dead_letter_config: dict | None = None) -> Pipeline:
        """Outputs made as `screener topics` makes them, unless `dead_letter_config`."""
        dead_letter_config = LARGE_RECORDS if dead_letter_config is None else dead_letter_config
        p = Pipeline(
            bootstrap=kafka_bootstrap,
            declarations=await topic_factory("declarations", partitions=partitions),
            dead_letters=await topic_factory("dlq", partitions=3, config=dead_letter_config),
            assessments=await topic_factory("assessments", partitions=3, config=LARGE_RECORDS),
            alerts=await topic_factory("alerts", partitions=3, config=LARGE_RECORDS),
            workdir=tmp_path / f"pipeline-{len(made)}",
        )
        p.workdir.mkdir()
        made.append(p)
        return p

    try:
        yield make
    finally:
        for p in made:
            p.stop_all()


@pytest.fixture
async def pipeline(make_pipeline) -> Pipeline:
    return await make_pipeline()
