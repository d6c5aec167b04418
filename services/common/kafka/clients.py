"""Kafka client construction: every producer, consumer and admin client Wirewatch opens gets its
connection settings (bootstrap, client id, security) from here, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from ..settings import CommonSettings


class BrokerUnavailable(RuntimeError):
    """The broker could not be reached within the allowed time, or no broker is configured."""


class KafkaSecurityError(ValueError):
    """The security settings are incomplete or unreadable; ``kind`` is a bounded label."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def client_config(settings: CommonSettings, role: str) -> dict[str, Any]:
    """The keyword arguments every kafka-python client takes (producer, consumer, admin): where the
    broker is, who we are and how we authenticate. ``role`` names the client to the broker
    (``<client id>-<role>``). The settings map one to one onto kafka-python's: security protocol,
    SASL mechanism, user and password (read from its file each time a client is made, so a rotated
    Secret is picked up by the next client), CA file and host-name check."""
    if not settings.kafka_bootstrap:
        raise BrokerUnavailable("no Kafka bootstrap configured (WIREWATCH_KAFKA_BOOTSTRAP)")
    protocol = settings.kafka_security_protocol
    cfg: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap.split(","),
        "client_id": f"{settings.kafka_client_id}-{role}",
        "security_protocol": protocol,
    }
    if protocol.startswith("SASL_"):
        cfg.update(_sasl_config(settings))
    elif settings.kafka_sasl_mechanism:
        raise KafkaSecurityError("sasl_without_protocol", f"a SASL mechanism is set but the security protocol is "
                                 f"{protocol}; use SASL_SSL or SASL_PLAINTEXT")
    if protocol.endswith("SSL"):
        if settings.kafka_ssl_cafile is not None:
            cfg["ssl_cafile"] = str(_readable(settings.kafka_ssl_cafile, "ssl_cafile"))
        cfg["ssl_check_hostname"] = settings.kafka_ssl_check_hostname
    return cfg


def _sasl_config(settings: CommonSettings) -> dict[str, Any]:
    if not (settings.kafka_sasl_mechanism and settings.kafka_sasl_username):
        raise KafkaSecurityError("sasl_incomplete", f"{settings.kafka_security_protocol} needs "
                                 "WIREWATCH_KAFKA_SASL_MECHANISM and WIREWATCH_KAFKA_SASL_USERNAME")
    return {
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": _password(settings),
    }


def _password(settings: CommonSettings) -> str:
    if settings.kafka_sasl_password_file is not None:
        path = _readable(settings.kafka_sasl_password_file, "sasl_password_file")
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    if settings.kafka_sasl_password is not None:
        return settings.kafka_sasl_password.get_secret_value()
    raise KafkaSecurityError("sasl_incomplete", "SASL needs WIREWATCH_KAFKA_SASL_PASSWORD_FILE "
                             "(or WIREWATCH_KAFKA_SASL_PASSWORD)")


def _readable(path: Path, kind: str) -> Path:
    try:
        with path.open("rb"):
            return path
    except OSError as exc:
        raise KafkaSecurityError(kind, f"{kind} {path} cannot be read: {exc.strerror}") from exc


def make_producer(settings: CommonSettings, role: str) -> KafkaProducer:
    """An idempotent producer with ``acks=all`` that retries until its delivery timeout (DESIGN.md)."""
    return KafkaProducer(
        **client_config(settings, role),
        enable_idempotence=True,  # explicit: DESIGN.md requires it, whatever the client default
        acks="all",
        linger_ms=5,
        retries=2**31 - 1,
        delivery_timeout_ms=120_000,
        max_in_flight_requests_per_connection=5,
        compression_type=None,
        max_request_size=settings.kafka_max_message_bytes,
    )


def make_consumer(settings: CommonSettings, role: str, group_id: str, topics: Sequence[str]) -> KafkaConsumer:
    """A group member subscribed to ``topics`` that never commits on its own: the loop commits an
    offset only after the work for it is durable."""
    consumer = KafkaConsumer(
        **client_config(settings, role),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        max_poll_records=settings.kafka_max_poll_records,
        max_poll_interval_ms=300_000,
        max_partition_fetch_bytes=settings.kafka_max_message_bytes,
        # room for a full message from every partition in one fetch
        fetch_max_bytes=settings.kafka_max_message_bytes * max(1, settings.kafka_partitions),
    )
    consumer.subscribe(list(topics))
    return consumer
