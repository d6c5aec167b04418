"""Kafka client construction: every producer, consumer and admin client Wirewatch opens gets its
connection settings (bootstrap, client id, security) from here, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from ..settings import CommonSettings


class BrokerUnavailable(RuntimeError):
    """The broker could not be reached within the allowed time, or no broker is configured."""


def client_config(settings: CommonSettings, role: str) -> dict[str, Any]:
    """The keyword arguments every kafka-python client takes: where the broker is, who we are and how
    we authenticate. ``role`` names the client to the broker (``<client id>-<role>``)."""
    if not settings.kafka_bootstrap:
        raise BrokerUnavailable("no Kafka bootstrap configured (WIREWATCH_KAFKA_BOOTSTRAP)")
    cfg: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap.split(","),
        "client_id": f"{settings.kafka_client_id}-{role}",
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_sasl_mechanism:
        cfg["sasl_mechanism"] = settings.kafka_sasl_mechanism
        cfg["sasl_plain_username"] = settings.kafka_sasl_username
        cfg["sasl_plain_password"] = (
            settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
        )
    return cfg


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
