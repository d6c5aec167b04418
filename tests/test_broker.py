import socket

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from services.common.broker import EmbeddedBroker


def test_broker_serves_kafka_and_stops_cleanly():
    broker = EmbeddedBroker().start()
    try:
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap, enable_idempotence=True, acks="all")
        from kafka.admin import KafkaAdminClient, NewTopic

        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
        admin.create_topics([NewTopic("t", 1, 1)])
        admin.close()
        meta = producer.send("t", b"hello").get(timeout=10)
        producer.close()
        consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap)
        tp = TopicPartition("t", 0)
        consumer.assign([tp])
        consumer.seek(tp, meta.offset)
        records = consumer.poll(5000)
        consumer.close()
        assert [r.value for r in records[tp]] == [b"hello"]
    finally:
        broker.stop()
    assert not broker.alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", broker.port), timeout=1).close()


def test_broker_is_stopped_when_the_block_fails():
    with pytest.raises(RuntimeError), EmbeddedBroker() as broker:
        proc = broker.process
        raise RuntimeError("test failure inside the block")
    assert proc.poll() is not None


def test_watch_reports_an_unexpected_death():
    import threading

    died = threading.Event()
    codes = []
    with EmbeddedBroker() as broker:
        broker.watch(lambda code: (codes.append(code), died.set()), interval_s=0.05)
        broker.process.kill()
        assert died.wait(5)
    assert codes and codes[0] != 0
