"""How the SCREENER_KAFKA_* settings become the connection of every client: faust's
credentials for the worker, and the same aiokafka options for the clients at the edges."""

from __future__ import annotations

import ssl

import pytest
import trustme
from faust.auth import SASLCredentials, SSLCredentials
from pydantic import ValidationError
from typer.testing import CliRunner

from screener.cli import app
from screener.core.policy import PolicyBook, load_policy
from screener.settings import Settings, get_settings
from screener.stream.app import create_app
from screener.stream.connection import Kafka, kafka_of


def settings(**values) -> Settings:
    return Settings(_env_file=None, kafka_bootstrap="broker-1:9093,broker-2:9093", **values)


def test_by_default_a_plaintext_cluster():
    kafka = kafka_of(settings())
    assert kafka.credentials is None
    assert kafka.options() == {
        "bootstrap_servers": "broker-1:9093,broker-2:9093",
        "security_protocol": "PLAINTEXT",
    }
    assert Kafka.of("127.0.0.1:9092").options()["security_protocol"] == "PLAINTEXT"


def test_sasl_over_tls_with_a_ca_of_ones_own(tmp_path):
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    kafka = kafka_of(
        settings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="screener",
            kafka_sasl_password="s3cret",
            kafka_ssl_cafile=tmp_path / "ca.pem",
        )
    )
    assert isinstance(kafka.credentials, SASLCredentials)
    options = kafka.options()
    context = options.pop("ssl_context")
    assert options == {
        "bootstrap_servers": "broker-1:9093,broker-2:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "screener",
        "sasl_plain_password": "s3cret",
    }
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    trusting = ssl.create_default_context(cadata=ca.cert_pem.bytes().decode())
    assert context.get_ca_certs() == trusting.get_ca_certs()  # the CA given, not the system's


def test_tls_with_a_client_certificate(tmp_path):
    ca = trustme.CA()
    client = ca.issue_cert("screener.example")
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "client.pem"))
    client.private_key_pem.write_to_path(str(tmp_path / "client.key"))
    kafka = kafka_of(
        settings(
            kafka_security_protocol="SSL",
            kafka_ssl_certfile=tmp_path / "client.pem",
            kafka_ssl_keyfile=tmp_path / "client.key",
        )
    )
    assert isinstance(kafka.credentials, SSLCredentials)
    assert kafka.options()["security_protocol"] == "SSL"


def test_the_worker_connects_with_the_same_credentials():
    configured = settings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_username="screener",
        kafka_sasl_password="s3cret",
    )
    worker = create_app(configured, PolicyBook(load_policy()))
    credentials = worker.conf.broker_credentials
    assert isinstance(credentials, SASLCredentials)
    assert (credentials.username, credentials.password) == ("screener", "s3cret")
    assert credentials.protocol.value == "SASL_PLAINTEXT"


@pytest.mark.parametrize(
    "values",
    [
        {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_username": "screener"},
        {"kafka_security_protocol": "SSL", "kafka_ssl_certfile": "client.pem"},
        {"kafka_security_protocol": "TLS"},
    ],
)
def test_incomplete_security_settings_are_refused(values):
    with pytest.raises(ValidationError):
        settings(**values)


def test_the_command_line_says_which_setting_is_refused(monkeypatch):
    monkeypatch.setenv("SCREENER_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["topics"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "SCREENER_KAFKA_SASL_USERNAME and SCREENER_KAFKA_SASL_PASSWORD" in result.output
