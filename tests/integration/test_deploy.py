"""The compose file's Kafka, run: its KAFKA_* settings, turned into broker properties the way
the apache/kafka image turns them, start the real broker (deploy/kafka's Kafka), and a worker
configured as compose configures it screens declarations there. Only the addresses change
(compose's host names and ports for free loopback ports) and the data directory."""

from __future__ import annotations

import orjson

from screener import local_kafka
from screener.settings import Settings
from screener.sim.declarations import SampleMessage, generate
from tests.deploy_files import compose, kafka_properties, screener_services, with_addresses
from tests.integration.conftest import Pipeline
from tests.integration.kafka_io import accounted, by_topic, collect, send_all


def compose_broker(ports: dict[int, int]) -> str:
    """server.properties of the compose file's broker, on loopback at `ports`."""
    hosts = {"kafka": local_kafka.HOST, "": local_kafka.HOST}  # "PLAINTEXT://:9092" too
    environment = compose()["services"]["kafka"]["environment"]
    properties = {
        key: with_addresses(value, hosts, ports)
        for key, value in kafka_properties(environment).items()
    }
    properties["log.dirs"] = "{log_dir}"  # filled in by local_kafka.up
    return "\n".join(f"{key}={value}" for key, value in properties.items()) + "\n"


async def test_a_worker_configured_as_in_compose_screens_on_the_compose_broker(tmp_path):
    port, host_port = local_kafka.free_port_pair(), local_kafka.free_port_pair()
    ports = {9092: port, 9093: port + 1, 9094: host_port}
    properties = compose_broker(ports)
    # The broker creates no topic on first use: the worker makes every topic it needs.
    assert "auto.create.topics.enable=false" in properties.splitlines()
    state_dir = tmp_path / "kafka"
    info = local_kafka.up(port, port + 1, state_dir, properties=properties)
    worker_env = {
        key: with_addresses(value, {"kafka": local_kafka.HOST}, ports)
        for key, value in screener_services()["worker"]["environment"].items()
    }
    on_broker = Settings(_env_file=None, kafka_bootstrap=info.bootstrap)
    pipeline = Pipeline.on_topics_of(on_broker, tmp_path / "pipeline", worker_env)
    try:
        assert worker_env["SCREENER_KAFKA_BOOTSTRAP"] == info.bootstrap
        pipeline.start_worker()
        samples = [
            *generate(40, seed=5, malformed_share=0.0),
            SampleMessage(b"bad", b"{not json", "malformed", None),
        ]
        await send_all(pipeline.bootstrap, pipeline.declarations, samples)
        records = await collect(pipeline, accounted(pipeline, len(samples)), timeout=120)
    finally:
        pipeline.stop_all()
        local_kafka.down(state_dir)
    assessments = by_topic(records, pipeline.assessments)
    assert sorted(orjson.loads(r.value)["declaration_id"] for r in assessments) == sorted(
        s.declaration_id for s in samples[:-1]
    )
    (dead,) = by_topic(records, pipeline.dead_letters)
    assert dead.value == b"{not json" and dead.headers["dlq-error-code"] == b"invalid-json"
