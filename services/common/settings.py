"""Settings shared by every service; each service subclasses this with its own fields.

Everything is read from ``WIREWATCH_*`` environment variables (and nothing else in the
code base reads the environment). The README's settings table lists every field of every
settings class; ``tests/test_settings_docs.py`` keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIREWATCH_", extra="ignore", secrets_dir=None)

    data_dir: Path = Field(Path("wirewatch-data"), description="Directory for the embedded SQLite files")
    log_level: str = Field("INFO", description="Python logging level")
    kafka_bootstrap: str | None = Field(
        None,
        description="Kafka bootstrap servers (host:port,...). Unset: `wirewatch run` starts an embedded broker",
    )
    kafka_client_id: str = Field("wirewatch", description="Client id prefix sent to the broker")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (Strimzi with SCRAM over TLS: SASL_SSL)")
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        None, description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (a Strimzi KafkaUser with scram-sha-512: SCRAM-SHA-512)")
    kafka_sasl_username: str | None = Field(None, description="SASL user name (the KafkaUser's name)")
    kafka_sasl_password: SecretStr | None = Field(
        None, description="SASL password (secret); prefer kafka_sasl_password_file")
    kafka_sasl_password_file: Path | None = Field(
        None, description="File holding the SASL password (a mounted Secret, e.g. the KafkaUser's `password` key), "
                          "read when a client is made; a trailing newline is not part of it")
    kafka_ssl_cafile: Path | None = Field(
        None, description="PEM file of the CA that signed the brokers' certificates (Strimzi: the cluster CA "
                          "secret's ca.crt); unset: the system's CAs")
    kafka_ssl_check_hostname: bool = Field(
        True, description="Check that a broker's certificate names the host connected to")
    kafka_partitions: int = Field(4, description="Partitions for topics Wirewatch creates itself")
    kafka_session_timeout_ms: int = Field(10000, description="Consumer group session timeout")
    kafka_heartbeat_interval_ms: int = Field(2000, description="Consumer group heartbeat interval")
    kafka_max_message_bytes: int = Field(
        1_048_576, ge=1024,
        description="Largest message in bytes: every producer's max_request_size, every consumer's fetch sizes and "
                    "the max.message.bytes of topics Wirewatch creates; match the topics' max.message.bytes",
    )
    story_max_text_chars: int = Field(
        200_000, ge=1000,
        description="Longest story text ingest publishes; a longer one is cut at a sentence or word boundary and "
                    "the story says so (text_truncated, text_original_chars)",
    )
    kafka_max_poll_records: int = Field(1000, description="Largest batch a consumer takes (and commits) at once")
    max_attempts: int = Field(3, description="Attempts before a message is dead-lettered")
    ops_host: str = Field("127.0.0.1", description="Address the /metrics, /healthz, /readyz server binds")
    ops_port: int = Field(0, description="Port of the ops server (0: pick a free one)")
    liveness_timeout_s: float = Field(120.0, description="/healthz fails when a loop made no progress this long")
    build_commit: str | None = Field(
        None, description="Source commit of the running build, shown in wirewatch_build_info (the image sets it "
                          "from its REVISION build argument)")

    def sqlite_url(self, name: str) -> str:
        return f"sqlite:///{(self.data_dir / f'{name}.db').resolve()}"
