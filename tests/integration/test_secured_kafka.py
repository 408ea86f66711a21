"""screener on a secured cluster: a real broker whose listener for clients takes only TLS with
SASL (PLAIN or SCRAM-SHA-512), its certificate signed by a CA of the test's. The worker,
`screener topics` and the clients at the edges connect with the SCREENER_KAFKA_* settings
alone; a wrong password is refused. The broker's plaintext listener is there only for
local_kafka to see it is up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import trustme
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)
from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    load_pem_private_key,
    pkcs12,
)

from screener import local_kafka
from screener.settings import Settings
from screener.sim.declarations import SampleMessage, generate
from screener.stream.clients import Produced, produce, tail
from screener.stream.connection import kafka_of
from tests.deploy_files import settings_from
from tests.integration.conftest import Pipeline, broker_properties, screener_command

USER, PASSWORD = "screener", "screener-secret"
KEYSTORE_PASSWORD = "keystore-secret"


def keystore(ca: trustme.CA, path: Path) -> None:
    """The broker's key and certificate chain for 127.0.0.1, as a PKCS12 keystore."""
    issued = ca.issue_cert("127.0.0.1", "localhost")
    key = load_pem_private_key(issued.private_key_pem.bytes(), password=None)
    cert, *chain = (x509.load_pem_x509_certificate(b.bytes()) for b in issued.cert_chain_pems)
    encryption = BestAvailableEncryption(KEYSTORE_PASSWORD.encode())
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"broker", key, cert, chain, encryption))


def secured_properties(secure_port: int, keystore_path: Path, more: dict[str, str]) -> str:
    """deploy/kafka's template with a SASL_SSL listener beside the plaintext one."""
    secure = f"SECURE://{local_kafka.HOST}:{secure_port}"
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule required"
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
    return broker_properties(
        {
            "listeners": f"PLAINTEXT://{local_kafka.HOST}:{{port}},"
            f"CONTROLLER://{local_kafka.HOST}:{{controller_port}},{secure}",
            "advertised.listeners": f"PLAINTEXT://{local_kafka.HOST}:{{port}},{secure}",
            "listener.security.protocol.map": (
                "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SECURE:SASL_SSL"
            ),
            "listener.name.secure.sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
            "listener.name.secure.plain.sasl.jaas.config": f'{plain} user_{USER}="{PASSWORD}";',
            # SCRAM users are in the cluster's metadata: added when the storage is formatted
            "listener.name.secure.scram-sha-512.sasl.jaas.config": f"{scram} required;",
            "listener.name.secure.ssl.keystore.type": "PKCS12",
            "listener.name.secure.ssl.keystore.location": str(keystore_path),
            "listener.name.secure.ssl.keystore.password": KEYSTORE_PASSWORD,
            **more,
        }
    )


@contextlib.contextmanager
def secured_broker(workdir: Path, **more: str) -> Iterator[tuple[dict[str, str], str]]:
    """A broker with a SASL_SSL listener: the SCREENER_KAFKA_* settings of a client of it,
    and the bootstrap of its plaintext listener (for the test's own administration)."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(workdir / "ca.pem"))
    keystore(ca, workdir / "broker.p12")
    port, secure_port = local_kafka.free_port_pair(), local_kafka.free_port_pair()
    properties = secured_properties(secure_port, workdir / "broker.p12", more)
    scram_user = f"SCRAM-SHA-512=[name={USER},password={PASSWORD}]"
    info = local_kafka.up(
        port,
        port + 1,
        workdir / "kafka",
        properties=properties,
        format_args=["--add-scram", scram_user],
    )
    try:
        client = {
            "SCREENER_KAFKA_BOOTSTRAP": f"{local_kafka.HOST}:{secure_port}",
            "SCREENER_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "SCREENER_KAFKA_SASL_MECHANISM": "PLAIN",
            "SCREENER_KAFKA_SASL_USERNAME": USER,
            "SCREENER_KAFKA_SASL_PASSWORD": PASSWORD,
            "SCREENER_KAFKA_SSL_CAFILE": str(workdir / "ca.pem"),
        }
        yield client, info.bootstrap
    finally:
        local_kafka.down(workdir / "kafka")


@pytest.fixture(scope="module")
def secured(tmp_path_factory) -> Iterator[dict[str, str]]:
    with secured_broker(tmp_path_factory.mktemp("secured")) as (client, _):
        yield client


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-512"])
def test_a_wrong_password_is_refused_and_the_right_one_makes_the_topics(secured, mechanism):
    secured = {**secured, "SCREENER_KAFKA_SASL_MECHANISM": mechanism}
    wrong = screener_command("topics", env={**secured, "SCREENER_KAFKA_SASL_PASSWORD": "guess"})
    assert wrong.returncode != 0
    assert "Authentication failed" in wrong.stdout + wrong.stderr
    made = screener_command("topics", env=secured)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "created: " in made.stdout


async def screens(client: dict[str, str], workdir: Path) -> None:
    """A worker with the `client` settings screens declarations there, and dead-letters one."""
    settings = settings_from(client)
    kafka = kafka_of(settings)
    pipeline = Pipeline.on_topics_of(settings, workdir, client)
    samples = [*generate(30, seed=9, malformed_share=0.0), SampleMessage(b"x", b"{", "bad", None)]
    answered: dict[str, list[bytes]] = {pipeline.assessments: [], pipeline.dead_letters: []}

    async def read() -> None:
        async for record in tail(kafka, [pipeline.assessments, pipeline.dead_letters]):
            answered[record.topic].append(record.value)
            if sum(map(len, answered.values())) == len(samples):
                return

    try:
        pipeline.start_worker()
        messages = [Produced(s.key, s.value, []) for s in samples]
        assert await produce(kafka, pipeline.declarations, messages) == len(samples)
        await asyncio.wait_for(read(), 120)
    finally:
        pipeline.stop_all()
    assert sorted(orjson.loads(v)["declaration_id"] for v in answered[pipeline.assessments]) == (
        sorted(s.declaration_id for s in samples[:-1])
    )
    assert answered[pipeline.dead_letters] == [b"{"]


async def test_a_worker_screens_on_the_secured_cluster(secured, tmp_path):
    await screens(secured, tmp_path)


def grant(bootstrap: str, settings: Settings) -> None:
    """screener's user may use the pipeline's topics, its own and its group: no right on the
    cluster (to make topics or read its settings), none to make or alter a topic."""
    use = [AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE]
    use.append(AclOperation.DESCRIBE_CONFIGS)
    topics = {"shipments.", "screening.", f"{settings.app_id}-"}
    rights = [(ResourceType.TOPIC, prefix, operation) for prefix in topics for operation in use] + [
        (ResourceType.GROUP, settings.app_id, op)
        for op in (AclOperation.READ, AclOperation.DESCRIBE)
    ]
    bindings = [
        AclBinding(
            kind,
            name,
            ResourcePatternType.PREFIXED,
            f"User:{USER}",
            "*",
            operation,
            AclPermissionType.ALLOW,
        )
        for kind, name, operation in rights
    ]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for done in admin.create_acls(bindings).values():
        done.result(timeout=30)


async def test_rights_to_its_topics_and_group_are_all_a_worker_needs(tmp_path):
    """A cluster with an authorizer. With no rights, screener cannot make its topics and says
    why; once an administrator has made them and granted it their use, a worker screens."""
    locked = {
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": "User:ANONYMOUS",  # the plaintext listener's, the administrator's
        "allow.everyone.if.no.acl.found": "false",
    }
    with secured_broker(tmp_path, **locked) as (client, plaintext):
        refused = screener_command("topics", env=client)
        assert refused.returncode != 0
        assert "set SCREENER_TOPIC_REPLICATION_FACTOR" in refused.stderr
        made = screener_command("topics", env={"SCREENER_KAFKA_BOOTSTRAP": plaintext})
        assert made.returncode == 0, made.stdout + made.stderr  # by the administrator
        grant(plaintext, settings_from(client))
        await screens(client, tmp_path / "pipeline")
