"""The store consumer over a real broker and a real database: events stored, poison dead-lettered,
offsets committed only once the write behind the consumer has succeeded."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import OperationalError

from services.common.contracts import DEADLETTER_TOPIC, EVENTS_TOPIC, STORIES_TOPIC, DeadLetter, Source, Story
from services.common.kafka import Publisher, client_config, make_consumer, make_producer
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from services.store.service import STORE_TOPICS, make_loop
from tests.helpers import drain, dump, empty, file_hash, make_event, seed_events


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


def _loop(settings, repo, group: str, retry_s: float = 120.0, consumer=None):
    """A store loop as the service makes it: on PostgreSQL, two writers share each batch. Its
    consumer joins ``group`` unless one is given."""
    publisher = Publisher(make_producer(settings, "store-test"))
    consumer = consumer or make_consumer(settings, "store-test", group, list(STORE_TOPICS))
    loop, handler = make_loop(consumer, publisher, repo, StoreMetrics(CollectorRegistry()), None, 2, retry_s,
                              writers=2)
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
    dead = [DeadLetter.from_bytes(r.value) for r in drain(kafka_settings, DEADLETTER_TOPIC)]
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
    assert not drain(kafka_settings, DEADLETTER_TOPIC, timeout_s=1)  # an outage is not the events' fault
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
    assert not drain(kafka_settings, DEADLETTER_TOPIC, timeout_s=1)
    repo.close()


def test_a_number_no_column_can_hold_is_dead_lettered_at_once(kafka_settings, tmp_path):
    # the contract's int is unbounded; neither the stored JSON nor the databases hold 2**70
    events = [make_event(i) for i in range(5)] + [make_event(5, fatalities=2**70)]
    _produce_events(kafka_settings, events)
    repo = EventRepository(f"sqlite:///{tmp_path}/store.db")
    _consume(kafka_settings, repo, "g-overflow", 6)
    assert repo.count_reports() == 5 and _committed(kafka_settings, "g-overflow") == 6
    dead = [DeadLetter.from_bytes(r.value) for r in drain(kafka_settings, DEADLETTER_TOPIC)]
    assert [d.key for d in dead] == ["e00005"] and dead[0].error_type == "PoisonMessage"
    assert dead[0].attempts == 1 and "fatalities_out_of_range" in dead[0].error
    repo.close()


def test_an_event_the_database_cannot_store_is_dead_lettered(kafka_settings, postgres_url):
    # PostgreSQL text cannot hold NUL; the contract allows it, so only the database refuses it
    events = [make_event(i) for i in range(10)] + [make_event(10, location="Dand\x00")]
    _produce_events(kafka_settings, events)
    repo = EventRepository(postgres_url)
    _consume(kafka_settings, repo, "g-bad-row", 11)
    assert repo.count_reports() == 10 and _committed(kafka_settings, "g-bad-row") == 11
    dead = [DeadLetter.from_bytes(r.value) for r in drain(kafka_settings, DEADLETTER_TOPIC)]
    assert [d.key for d in dead] == ["e00010"] and dead[0].error_type == "DataError"
    repo.close()


def _replay_topics() -> tuple[list, list[Story]]:
    """What the topics hold: the seeds' real extractions (whose gold pairs merge across stories),
    pairs of outlets reporting one event, later versions of some reports (one moves district, so
    its cluster splits) and republished stories."""
    seeds = [e for events in seed_events().values() for e in events]
    reports = []
    for i in range(40):
        first = make_event(i)
        reports.append(first)
        if i % 2 == 0:  # another outlet's story of the same event, a day later, another figure
            reports.append(make_event(
                i, event_id=f"x{i:05d}", story_id=f"t{i}", event_date=first.event_date + timedelta(days=1),
                fatalities=i % 17 + 3, sources=[Source(story_id=f"t{i}", outlet="Other", url=f"https://other.example/{i}",
                                                       published_at=datetime(2026, 3, 3, tzinfo=UTC))]))
    revisions = [make_event(i, fatalities=50 + i) for i in range(0, 40, 7)]
    revisions.append(make_event(4, admin2="Khanabad", location="Khanabad", latitude=36.68, longitude=69.11))
    stories = [Story(story_id=f"mirror-{sid}", url=f"https://mirror.example/{sid}",
                     canonical_url=f"https://mirror.example/{sid}", feed_id="m", outlet="Mirror",
                     fetched_at=datetime(2026, 3, 4, tzinfo=UTC), content_hash=sid, duplicate_of=sid)
               for sid in ("000_676fcc2cbcfd88d6", "s6", "t8")]
    return seeds + reports + revisions, stories


def _replay_partition_by_partition(settings, repo, order: list[tuple[str, int]], ends: dict) -> None:
    """Consume each partition from offset 0 to its end, one partition after another, through the
    store's own loop (two writers on PostgreSQL)."""
    for topic, partition in order:
        tp = TopicPartition(topic, partition)
        group = f"replay-{uuid.uuid4().hex}"
        consumer = KafkaConsumer(**client_config(settings, "store-test"), group_id=group,
                                 enable_auto_commit=False, auto_offset_reset="earliest")
        consumer.assign([tp])
        end = ends.get(tp, 0)
        loop, handler, publisher = _loop(settings, repo, group, consumer=consumer)
        deadline = time.monotonic() + 30
        while consumer.position(tp) < end and time.monotonic() < deadline:
            loop.run_batch(timeout_ms=500)
        loop.drain()
        assert consumer.position(tp) >= end, (topic, partition)
        loop.close()
        handler.close()
        publisher.close()


def test_replaying_the_topics_from_offset_0_in_any_partition_order_changes_nothing(kafka_settings, database_url):
    events, stories = _replay_topics()
    producer = KafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap, enable_idempotence=True, acks="all")
    sent = [producer.send(EVENTS_TOPIC, key=e.event_id.encode(), value=e.to_bytes()) for e in events]
    sent += [producer.send(STORIES_TOPIC, key=s.story_id.encode(), value=s.to_bytes()) for s in stories]
    producer.flush()
    producer.close()
    ends: dict[TopicPartition, int] = {}  # from what was written, not ListOffsets (Tansu's may be a batch's start)
    for meta in (f.get(timeout=10) for f in sent):
        tp = TopicPartition(meta.topic, meta.partition)
        ends[tp] = max(ends.get(tp, 0), meta.offset + 1)
    partitions = range(kafka_settings.kafka_partitions)

    repo = EventRepository(database_url)
    _consume(kafka_settings, repo, "store", len(events) + len(stories))  # as the service does: one group
    first = dump(repo)
    merged = [repo.get(e.event_id) for e in events]
    assert sum(len(m["reports"]) > 1 for m in {m["event_id"]: m for m in merged}.values()) >= 20
    assert repo.get("e00004")["reports"] == ["e00004"]  # moved district: left x00004 behind
    assert repo.get("e00007")["fatalities"] == 57  # the last version of a revised report
    assert "Mirror" in {s["outlet"] for s in repo.get("e00006")["sources"]}

    # the same store, every partition replayed from 0, last partition first
    before = file_hash(repo) if database_url.startswith("sqlite") else None
    _replay_partition_by_partition(kafka_settings, repo, [(t, p) for t in (EVENTS_TOPIC, STORIES_TOPIC)
                                                          for p in reversed(partitions)], ends)
    assert dump(repo) == first
    if before:
        assert file_hash(repo) == before  # not a byte of the file changed

    # an empty store built in another order, the republished stories before any event
    empty(repo)
    order = [(STORIES_TOPIC, p) for p in partitions] + [(EVENTS_TOPIC, p) for p in (2, 0, 3, 1)]
    _replay_partition_by_partition(kafka_settings, repo, order, ends)
    assert dump(repo) == first
    repo.close()


def _written(handler, events, first_offset: int = 0) -> None:
    """Hand ``events`` to the handler as consumed records and write them as the loop would."""
    from types import SimpleNamespace

    for i, e in enumerate(events):
        handler(SimpleNamespace(topic=EVENTS_TOPIC, partition=0, offset=first_offset + i, key=None,
                                value=e.to_bytes()))
    handler.detach()()


def _histogram(metrics: StoreMetrics) -> tuple[float, float]:
    samples = {s.name: s.value for m in metrics.end_to_end.collect() for s in m.samples}
    return samples["wirewatch_end_to_end_latency_seconds_count"], samples["wirewatch_end_to_end_latency_seconds_sum"]


def test_freshness_and_end_to_end_latency_count_first_stores_only(tmp_path):
    from services.store.service import StoreHandler

    repo = EventRepository(f"sqlite:///{tmp_path / 'e2e.db'}")
    metrics = StoreMetrics(CollectorRegistry())
    started = metrics.newest_event._value.get()
    assert started > 0  # a store that never writes still ages from its start
    handler = StoreHandler(repo, publisher=None, metrics=metrics)  # type: ignore[arg-type]
    seen = datetime.now(UTC) - timedelta(seconds=30)
    _written(handler, [make_event(1, first_seen_at=seen), make_event(2)])
    count, total = _histogram(metrics)
    assert count == 1 and 30 <= total < 60  # the event without first_seen_at is stored, not timed
    assert metrics.newest_event._value.get() >= started
    metrics.newest_event.set(0)
    _written(handler, [make_event(1, first_seen_at=seen)], 2)  # a replay: unchanged
    assert _histogram(metrics)[0] == 1 and metrics.newest_event._value.get() == 0
    _written(handler, [make_event(1, first_seen_at=seen, fatalities=40)], 3)  # revised: fresher, not first
    assert _histogram(metrics)[0] == 1 and metrics.newest_event._value.get() > 0
    handler.close()
    repo.close()
