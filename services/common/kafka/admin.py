"""Topic administration: the topics Wirewatch creates for itself when they are missing."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from ..contracts import ALL_TOPICS
from ..settings import CommonSettings
from .clients import BrokerUnavailable, client_config

log = logging.getLogger(__name__)


def ensure_topics(settings: CommonSettings, topics: Iterable[str] = ALL_TOPICS, timeout_s: float = 30.0) -> None:
    """Create the topics that are missing, with ``kafka_partitions`` partitions each. Idempotent (a
    replica creating one first is fine); retried until the broker answers or ``timeout_s`` passes,
    then ``BrokerUnavailable``. Topics that exist are left exactly as they are; new ones get
    ``max.message.bytes`` from ``kafka_max_message_bytes``."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    wanted = list(topics)
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(**client_config(settings, "admin"), request_timeout_ms=5000)
        except KafkaError as exc:
            last_error = exc
            time.sleep(0.2)
            continue
        try:
            _create_missing(admin, settings, wanted)
            return
        except KafkaError as exc:
            last_error = exc
            time.sleep(0.2)
        finally:
            admin.close()
    raise BrokerUnavailable(f"could not create topics within {timeout_s:.0f}s: {last_error}")


def topic_configs(settings: CommonSettings) -> dict[str, str]:
    """The configuration of a topic Wirewatch creates: it accepts exactly what our producers send."""
    return {"max.message.bytes": str(settings.kafka_max_message_bytes)}


def _create_missing(admin: KafkaAdminClient, settings: CommonSettings, topics: list[str]) -> None:
    existing = set(admin.list_topics())
    missing = [t for t in topics if t not in existing]
    if not missing:
        return
    with contextlib.suppress(TopicAlreadyExistsError):  # a replica created it first
        admin.create_topics([NewTopic(t, settings.kafka_partitions, 1, topic_configs=topic_configs(settings))
                             for t in missing], timeout_ms=10_000)
    log.info("created topics %s", ", ".join(missing))
