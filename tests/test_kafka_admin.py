"""Topic creation: missing topics are created with the configured partitions and size limit,
and creating them again changes nothing."""

from __future__ import annotations

from kafka import KafkaAdminClient

from services.common.kafka import client_config, ensure_topics
from services.common.kafka.admin import topic_configs
from services.common.settings import CommonSettings


def test_missing_topics_are_created_once_with_their_partitions(kafka_settings):
    settings = kafka_settings.model_copy(update={"kafka_partitions": 3})
    ensure_topics(settings, ["t.admin.a", "t.admin.b"])
    ensure_topics(settings, ["t.admin.a"])  # idempotent
    admin = KafkaAdminClient(**client_config(settings, "admin-test"))
    try:
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(["t.admin.a", "t.admin.b"])}
    finally:
        admin.close()
    assert described == {"t.admin.a": 3, "t.admin.b": 3}


def test_created_topics_take_the_message_size_limit():
    # Tansu does not answer DescribeConfigs, so the configuration sent is checked, not read back
    assert topic_configs(CommonSettings(kafka_max_message_bytes=2_000_000)) == {"max.message.bytes": "2000000"}

