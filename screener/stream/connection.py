"""How screener's clients reach the brokers: the bootstrap servers and, for a secured
cluster, TLS and SASL (SCREENER_KAFKA_SECURITY_PROTOCOL and the settings after it).

The worker's faust app takes them as faust credentials; the plain aiokafka clients at the
edges (topics, the reference topic, `simulate`, `replay`, `tail`, the demo) get the options
faust's own transport makes of the same credentials, so both connect alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka.helpers import create_ssl_context
from faust.auth import SASLCredentials, SSLCredentials
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.types.auth import CredentialsT

from screener.settings import Settings


@dataclass(frozen=True)
class Kafka:
    """A cluster to connect to: its bootstrap servers, and faust credentials if secured."""

    bootstrap: str
    credentials: CredentialsT | None = None

    @classmethod
    def of(cls, kafka: Kafka | str) -> Kafka:
        """A bootstrap string alone is a plaintext cluster (the local broker, tests)."""
        return kafka if isinstance(kafka, Kafka) else cls(kafka)

    def options(self) -> dict[str, Any]:
        """Keyword arguments for an aiokafka producer, consumer or admin client."""
        return {
            "bootstrap_servers": self.bootstrap,
            **credentials_to_aiokafka_auth(self.credentials),
        }


def kafka_of(settings: Settings) -> Kafka:
    """The cluster of SCREENER_KAFKA_*: TLS verifies the brokers against the CA file given, or
    the system's CAs, and checks their host names."""
    protocol = settings.kafka_security_protocol
    context = (
        create_ssl_context(
            cafile=settings.kafka_ssl_cafile,
            certfile=settings.kafka_ssl_certfile,
            keyfile=settings.kafka_ssl_keyfile,
        )
        if protocol in ("SSL", "SASL_SSL")
        else None
    )
    credentials: CredentialsT | None = None
    if protocol == "SSL":
        credentials = SSLCredentials(context)
    elif protocol.startswith("SASL_"):
        password = settings.kafka_sasl_password
        credentials = SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password else None,
            ssl_context=context,
            mechanism=settings.kafka_sasl_mechanism,
        )
    return Kafka(settings.kafka_bootstrap, credentials)
