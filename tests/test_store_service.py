"""The store consumer over a real broker and a real database: events stored, poison dead-lettered,
offsets committed only once the write behind the consumer has succeeded."""

from __future__ import annotations

import threading
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import OperationalError

from services.common.contracts import DEADLETTER_TOPIC, EVENTS_TOPIC, DeadLetter
from services.common.kafka import Publisher, make_consumer, make_producer
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from services.store.service import STORE_TOPICS, make_loop
from tests.test_extract_service import _drain
from tests.test_repository import make_event


def _produce(settings, values: list[tuple[bytes, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, acks="all")
    for key, value in values:
        producer.send(EVENTS_TOPIC, key=key, value=value)
    producer.flush()
    producer.close()


def _produce_events(settings, events) -> None:
    _produce(settings, [(e.event_id.encode(), e.to_bytes()) for e in events])


def _consume(settings, repo, group: str, n: int):
    """Run a store loop until it has committed ``n`` messages (or 30 s pass), then close it."""
    loop, handler, publisher = _loop(settings, repo, group)
    deadline = time.monotonic() + 30
    while loop.stats.consumed < n and time.monotonic() < deadline:
        loop.run_batch()
    loop.close()
    handler.close()
    publisher.close()
    return handler


def _committed(settings, group: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False)
    total = sum(consumer.committed(TopicPartition(EVENTS_TOPIC, p)) or 0 for p in range(settings.kafka_partitions))
    consumer.close()
    return total


def _loop(settings, repo, group: str, retry_s: float = 120.0):
    """A store loop as the service makes it: on PostgreSQL, two writers share each batch."""
    publisher = Publisher(make_producer(settings, "store-test"))
    loop, handler = make_loop(make_consumer(settings, "store-test", group, list(STORE_TOPICS)), publisher, repo,
                              StoreMetrics(CollectorRegistry()), None, 2, retry_s, writers=2)
    return loop, handler, publisher


def test_events_stored_and_poison_dead_lettered(kafka_settings, database_url):
    events = [make_event(i) for i in range(40)]
    _produce(kafka_settings, [(b"bad1", b"{not json"), (b"bad2", b'{"event_id": "no other field"}')]
             + [(e.event_id.encode(), e.to_bytes()) for e in events])
    repo = EventRepository(database_url)
    loop, handler, publisher = _loop(kafka_settings, repo, "g-store")
    stop = threading.Event()
    runner = threading.Thread(target=loop.run, args=(stop,))
    runner.start()
    deadline = time.monotonic() + 30
    while loop.stats.consumed < 42 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    runner.join(10)
    loop.close()
    handler.close()
    publisher.close()
    assert loop.stats.consumed == 42 and loop.stats.dead_lettered == 2
    assert repo.count_reports() == 40 and handler.totals.inserted == 40
    assert _committed(kafka_settings, "g-store") == 42
    dead = [DeadLetter.from_bytes(r.value) for r in _drain(kafka_settings, DEADLETTER_TOPIC)]
    assert sorted(d.key for d in dead) == ["bad1", "bad2"] and {d.stage for d in dead} == {"store"}
    repo.close()


class _FlakyRepository(EventRepository):
    """A real repository whose database is unreachable for its next ``failures`` writes."""

    failures = 0
    _lock = threading.Lock()  # two writers may call at once

    def upsert_prepared(self, reports):
        with self._lock:
            failing = self.failures > 0
            self.failures -= failing
        if failing:
            raise OperationalError("INSERT", {}, ConnectionError("server closed the connection"))
        return super().upsert_prepared(reports)


def test_a_database_outage_is_waited_out(kafka_settings, database_url):
    events = [make_event(i) for i in range(25)]
    _produce_events(kafka_settings, events)
    repo = _FlakyRepository(database_url)
    repo.failures = 2
    handler = _consume(kafka_settings, repo, "g-outage", 25)
    assert repo.count_reports() == 25 and _committed(kafka_settings, "g-outage") == 25
    retries = handler.metrics.write_retries._value.get()
    # on PostgreSQL two writers may both have met the outage in one attempt
    assert retries == 2 if handler.writers == 1 else 1 <= retries <= 2
    assert not _drain(kafka_settings, DEADLETTER_TOPIC, timeout_s=1)  # an outage is not the events' fault
    repo.close()


def test_a_write_that_keeps_failing_is_not_committed_and_is_replayed(kafka_settings, tmp_path):
    events = [make_event(i) for i in range(25)]
    _produce_events(kafka_settings, events)
    repo = _FlakyRepository(f"sqlite:///{tmp_path}/store.db")
    repo.failures = 10**9
    loop, flaky_handler, publisher = _loop(kafka_settings, repo, "g-flaky", retry_s=1.0)
    with pytest.raises(OperationalError):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            loop.run_batch()  # the write gives up on the writer thread and raises from a later call
    loop.close()
    flaky_handler.close()
    publisher.close()
    assert repo.count_reports() == 0 and _committed(kafka_settings, "g-flaky") == 0

    repo.failures = 0  # the database is back: a restarted consumer replays the batch
    handler = _consume(kafka_settings, repo, "g-flaky", 25)
    assert repo.count_reports() == 25 and handler.totals.inserted == 25
    assert _committed(kafka_settings, "g-flaky") == 25
    assert not _drain(kafka_settings, DEADLETTER_TOPIC, timeout_s=1)
    repo.close()


def test_a_number_no_column_can_hold_is_dead_lettered_at_once(kafka_settings, tmp_path):
    # the contract's int is unbounded; neither the stored JSON nor the databases hold 2**70
    events = [make_event(i) for i in range(5)] + [make_event(5, fatalities=2**70)]
    _produce_events(kafka_settings, events)
    repo = EventRepository(f"sqlite:///{tmp_path}/store.db")
    _consume(kafka_settings, repo, "g-overflow", 6)
    assert repo.count_reports() == 5 and _committed(kafka_settings, "g-overflow") == 6
    dead = [DeadLetter.from_bytes(r.value) for r in _drain(kafka_settings, DEADLETTER_TOPIC)]
    assert [d.key for d in dead] == ["e00005"] and dead[0].error_type == "PoisonMessage"
    assert dead[0].attempts == 1 and "64-bit" in dead[0].error
    repo.close()


def test_an_event_the_database_cannot_store_is_dead_lettered(kafka_settings, postgres_url):
    # PostgreSQL text cannot hold NUL; the contract allows it, so only the database refuses it
    events = [make_event(i) for i in range(10)] + [make_event(10, location="Dand\x00")]
    _produce_events(kafka_settings, events)
    repo = EventRepository(postgres_url)
    _consume(kafka_settings, repo, "g-bad-row", 11)
    assert repo.count_reports() == 10 and _committed(kafka_settings, "g-bad-row") == 11
    dead = [DeadLetter.from_bytes(r.value) for r in _drain(kafka_settings, DEADLETTER_TOPIC)]
    assert [d.key for d in dead] == ["e00010"] and dead[0].error_type == "DataError"
    repo.close()
