"""Client construction: one size setting drives every producer's request size and every consumer's
fetch sizes, and consumers never commit on their own."""

from __future__ import annotations

from services.common.contracts import STORIES_TOPIC
from services.common.kafka import make_consumer, make_producer


def test_the_message_size_limit_reaches_producers_and_consumers(kafka_settings):
    settings = kafka_settings.model_copy(update={"kafka_max_message_bytes": 2_000_000})
    producer = make_producer(settings, "size-test")
    consumer = make_consumer(settings, "size-test", "g-size", [STORIES_TOPIC])
    try:
        assert producer.config["max_request_size"] == 2_000_000
        assert producer.config["enable_idempotence"] is True and producer.config["acks"] == -1
        assert consumer.config["max_partition_fetch_bytes"] == 2_000_000
        assert consumer.config["fetch_max_bytes"] == 2_000_000 * settings.kafka_partitions
        assert consumer.config["enable_auto_commit"] is False
        assert consumer.subscription() == {STORIES_TOPIC}
    finally:
        producer.close()
        consumer.close()
