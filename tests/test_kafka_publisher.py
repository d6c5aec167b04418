"""The publisher against a real broker: acknowledged offsets are remembered per partition, and a
record the producer cannot deliver raises (from ``send`` when it is over the size limit, from
``flush`` when the broker refuses it) instead of being forgotten."""

from __future__ import annotations

import pytest
from kafka import TopicPartition
from kafka.errors import MessageSizeTooLargeError

from services.common.contracts import EVENTS_TOPIC
from services.common.kafka import Publisher, make_producer


def test_flush_waits_for_every_record_and_remembers_the_next_offsets(kafka_settings):
    pub = Publisher(make_producer(kafka_settings, "pub-test"))
    assert pub.flush() == 0
    for i in range(9):
        pub.send(EVENTS_TOPIC, "same-key", f"v{i}".encode())  # one key: one partition, in order
    assert pub.flush() == 9
    (tp, offset), = pub.acked.items()
    assert tp.topic == EVENTS_TOPIC and offset == 9
    pub.send(EVENTS_TOPIC, "same-key", b"v9")
    pub.flush()
    assert pub.acked == {TopicPartition(EVENTS_TOPIC, tp.partition): 10}
    pub.close()


def test_a_record_over_the_size_limit_raises_and_is_never_acknowledged(kafka_settings):
    pub = Publisher(make_producer(kafka_settings, "pub-test"))
    with pytest.raises(MessageSizeTooLargeError):
        pub.send(EVENTS_TOPIC, "big", b"x" * kafka_settings.kafka_max_message_bytes)  # plus headers: over it
        pub.flush()
    pub.send(EVENTS_TOPIC, "small", b"x" * (kafka_settings.kafka_max_message_bytes // 2))
    pub.flush()
    assert sum(pub.acked.values()) == 1
    pub.close()
