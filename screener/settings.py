"""Runtime settings, from SCREENER_* environment variables (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from screener.core.policy import DEFAULT_POLICY


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCREENER_", env_file=".env", extra="ignore")

    # Kafka
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How every client of screener's connects to the brokers"
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = Field(
        None, description="CA certificates that sign the brokers' (default: the system's)"
    )
    kafka_ssl_certfile: Path | None = Field(
        None, description="Client certificate (PEM) for brokers that ask for one"
    )
    kafka_ssl_keyfile: Path | None = Field(None, description="Its private key (PEM)")
    app_id: str = Field("screener", description="Faust app id: the consumer group")
    declarations_topic: str = "shipments.declarations.v1"
    dead_letter_topic: str = "shipments.declarations.dlq.v1"
    assessments_topic: str = "screening.assessments.v1"
    alerts_topic: str = "screening.alerts.v1"
    dispositions_topic: str = Field(
        "screening.dispositions.v1", description="Analysts' verdicts on alerts, sent back"
    )
    dispositions_dead_letter_topic: str = Field(
        "screening.dispositions.dlq.v1",
        description="Dispositions that cannot be read, or of an alert never published",
    )
    topic_partitions: int = Field(6, ge=1, description="Partitions when screener creates topics")
    topic_replication_factor: int | None = Field(
        None,
        ge=1,
        description="Replicas of each topic screener creates (default: the cluster's "
        "default.replication.factor)",
    )
    internal_partitions: int = Field(
        6, ge=1, description="Partitions of the entity-event and gather topics and their tables"
    )
    store: str = Field("rocksdb://", description="Table store: rocksdb:// or memory://")
    batch_size: int = Field(
        500, ge=1, description="Most messages an agent takes at once (one produce round trip)"
    )
    batch_wait_ms: float = Field(
        5.0, gt=0, description="Longest an agent waits to fill a batch, per hop, ms"
    )
    row_cache_size: int = Field(
        2_000,
        ge=0,
        description="Busy history rows kept decoded between flushes (0: none); emptied at "
        "every rebalance",
    )
    # 500, not 250: a busy row goes to the changelog about once per interval, so a longer one
    # makes fewer changelog records (a quarter fewer than 250), less for the broker to append
    # and compact (docs/benchmarks.md, 8th round). Rows go out in slices (write_behind.py).
    row_flush_ms: float = Field(
        500.0,
        gt=0,
        description="Table rows (history, pending) are written at most this long after the "
        "batch that changed them, ms",
    )
    gather_in_process: bool = Field(
        True,
        description="A declaration whose gather partition is held here, and its features, "
        "go straight to gather instead of through the gather topic",
    )
    history_in_process: bool = Field(
        True,
        description="Entity events whose entity partition is held here are applied by screen "
        "at once instead of through the entity-events topic",
    )
    commit_interval_s: float = Field(
        2.8,
        gt=0,
        description="How often acknowledged offsets are committed, s (a crash replays up to "
        "this much)",
    )
    answer_retention_s: float = Field(
        900.0, gt=0, description="How long a copy of a declaration gets its first answer, s"
    )
    disposition_window_s: float = Field(
        180 * 86400.0,
        gt=0,
        description="How long after its alert a disposition is recorded, s: the table of "
        "alerts that dispositions name forgets older ones",
    )
    fetch_max_wait_ms: int = Field(
        20, ge=1, description="Longest a fetch waits at the broker for new records, ms"
    )
    fetch_min_bytes: int = Field(
        1, ge=1, description="Bytes a fetch waits for at the broker (up to the fetch wait)"
    )
    producer_linger_ms: int = Field(
        2, ge=0, description="How long the producer waits to fill a request, ms"
    )
    producer_batch_bytes: int = Field(
        512 * 1024, ge=16 * 1024, le=1_000_000, description="Producer batch size per partition"
    )
    # 0, as in Kafka Streams (faust's own is 1): a standby copy reads back every changelog
    # record another worker writes, and with two workers cost a sixth to a quarter of their
    # CPU; without one, a takeover reads the partition's changelog (docs/benchmarks.md,
    # tenth round; bench/failover.py).
    standby_replicas: int = Field(
        0,
        ge=0,
        description="Other workers that keep a copy of each table partition, to take it over "
        "without reading its changelog from the start",
    )
    broker_session_timeout: float = Field(30.0, gt=0, description="Consumer session timeout, s")
    broker_heartbeat_interval: float = Field(3.0, gt=0, description="Consumer heartbeat, s")

    reference_topic: str = Field(
        "screening.reference.v1", description="Compacted topic of policy versions"
    )

    # Policy
    policy_file: Path = Field(DEFAULT_POLICY, description="Policy document (YAML)")
    policy_reload_interval: float = Field(5.0, gt=0, description="Seconds between file checks")
    reference_dir: Path = Field(
        DEFAULT_POLICY.parent,
        description="Where list paths of policies from the reference topic resolve",
    )

    # Worker
    web_host: str = "127.0.0.1"
    web_port: int = Field(6066, description="Port of /metrics and /health")
    data_dir: Path = Field(Path(".run/worker"), description="Worker state directory")
    log_level: str = "info"
    log_format: Literal["text", "json"] = Field(
        "text", description="json: one JSON object per line, for a log pipeline"
    )

    @model_validator(mode="after")
    def _credentials_complete(self) -> Self:
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"SCREENER_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "SCREENER_KAFKA_SASL_USERNAME and SCREENER_KAFKA_SASL_PASSWORD"
            )
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError(
                "a client certificate needs both SCREENER_KAFKA_SSL_CERTFILE and "
                "SCREENER_KAFKA_SSL_KEYFILE"
            )
        return self

    # Local Kafka (development, demo and tests)
    local_kafka_port: int = 9092
    local_kafka_dir: Path = Path(".run/kafka")


@lru_cache
def get_settings() -> Settings:
    return Settings()
