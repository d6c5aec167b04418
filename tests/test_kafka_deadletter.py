"""Dead letters over a real broker: always small (excerpt, size, hash, where the record is), and a
dead letter that cannot be written never stops the partition. Issue 14, defect 1: on main a 5 MB
valid story on the stories topic made extract and store exit 1 (the dead letter carried the whole
payload and the producer refused it inside the loop's error handler)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from prometheus_client import CollectorRegistry

from services.common.contracts import DEADLETTER_TOPIC, EVENTS_TOPIC, STORIES_TOPIC, DeadLetter, Story
from services.common.kafka import (
    ConsumeLoop,
    PoisonMessage,
    Publisher,
    client_config,
    make_consumer,
    make_producer,
)
from services.extract.extractor import RuleExtractor
from services.extract.metrics import ExtractMetrics
from services.extract.service import make_loop as make_extract_loop
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from services.store.service import STORE_TOPICS
from services.store.service import make_loop as make_store_loop

TEXT = ("Taliban fighters stormed a police checkpoint in Dasht-e-Archi district of Kunduz province on "
        "Tuesday night, killing five policemen, officials said. ")


def _story(story_id: str, text: str) -> Story:
    return Story(story_id=story_id, url=f"http://x/{story_id}", canonical_url=f"https://x/{story_id}", feed_id="f",
                 outlet="Test", text=text, published_at=datetime(2020, 1, 29, 8, tzinfo=UTC),
                 fetched_at=datetime(2020, 1, 29, 9, tzinfo=UTC), content_hash=story_id)


def _produce_big_then_small(settings) -> bytes:
    """A valid 5 MB story, then a normal one on the same partition (same key); returns the big value."""
    big = _story("big", TEXT * (5_000_000 // len(TEXT))).to_bytes()
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, max_request_size=8_000_000,
                             enable_idempotence=True, acks="all")
    producer.send(STORIES_TOPIC, key=b"same", value=big)
    producer.send(STORIES_TOPIC, key=b"same", value=_story("small", TEXT).to_bytes())
    producer.flush()
    producer.close()
    return big


def _dead_letters(settings, timeout_s: float = 4.0) -> list[DeadLetter]:
    consumer = KafkaConsumer(**client_config(settings, "dl-test-reader"), enable_auto_commit=False)
    consumer.assign([TopicPartition(DEADLETTER_TOPIC, p) for p in range(settings.kafka_partitions)])
    consumer.seek_to_beginning()
    out, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for records in consumer.poll(300).values():
            out += [DeadLetter.from_bytes(r.value) for r in records]
    consumer.close()
    return out


def _run(loop: ConsumeLoop, records: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while loop.stats.consumed < records and time.monotonic() < deadline:
        loop.run_batch(timeout_ms=500)
    loop.drain()


def _assert_bounded(dead: DeadLetter, big: bytes, stage: str) -> None:
    assert dead.stage == stage and dead.source_topic == STORIES_TOPIC and dead.offset is not None
    assert dead.value_truncated and dead.value_bytes == len(big)
    assert dead.value_sha256 == hashlib.sha256(big).hexdigest()
    assert len(dead.to_bytes()) < 16_384 and big.decode().startswith(dead.value)


def test_an_oversized_story_is_dead_lettered_and_extract_goes_on(kafka_settings):
    big = _produce_big_then_small(kafka_settings)
    registry = CollectorRegistry()
    pub = Publisher(make_producer(kafka_settings, "extract-test"))
    loop, handler = make_extract_loop(make_consumer(kafka_settings, "extract-test", "g-big-extract", [STORIES_TOPIC]),
                                      pub, RuleExtractor(), ExtractMetrics(registry), None, 3)
    _run(loop, 2)
    loop.close()
    handler.close()
    pub.close()
    assert loop.stats.consumed == 2 and loop.stats.dead_lettered == 1
    assert handler.events_published == 1  # the story behind it was processed
    (dead,) = _dead_letters(kafka_settings)
    _assert_bounded(dead, big, "extract")
    assert dead.error_type == "PoisonMessage" and "limit" in dead.error


def test_an_oversized_story_is_dead_lettered_and_store_goes_on(kafka_settings, tmp_path):
    big = _produce_big_then_small(kafka_settings)
    repo = EventRepository(f"sqlite:///{tmp_path / 'store.db'}")
    pub = Publisher(make_producer(kafka_settings, "store-test"))
    loop, handler = make_store_loop(make_consumer(kafka_settings, "store-test", "g-big-store", list(STORE_TOPICS)),
                                    pub, repo, StoreMetrics(CollectorRegistry()), None, 3)
    _run(loop, 2)
    loop.close()
    handler.close()
    pub.close()
    repo.close()
    assert loop.stats.consumed == 2 and loop.stats.dead_lettered == 1
    (dead,) = _dead_letters(kafka_settings)
    _assert_bounded(dead, big, "store")


def test_a_dead_letter_that_cannot_be_written_is_counted_and_the_partition_moves_on(kafka_settings):
    producer = KafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap, enable_idempotence=True, acks="all")
    for i in range(3):
        producer.send(STORIES_TOPIC, key=b"same", value=f"poison {i}".encode())
    producer.flush()
    producer.close()
    registry = CollectorRegistry()
    metrics = ExtractMetrics(registry)
    # a producer that refuses anything the size of a dead letter: every dead letter fails to be written
    tiny = Publisher(KafkaProducer(**client_config(kafka_settings, "dl-test"), max_request_size=200))

    def handle(record) -> None:
        raise PoisonMessage("never valid")

    loop = ConsumeLoop(stage="extract", consumer=make_consumer(kafka_settings, "dl-test", "g-dl-lost", [STORIES_TOPIC]),
                       publisher=tiny, handle=handle, metrics=metrics)
    _run(loop, 3, timeout_s=30)
    loop.close()
    tiny.close()
    assert loop.stats.consumed == 3 and loop.stats.dead_letters_lost == 3
    assert registry.get_sample_value("wirewatch_extract_deadletter_total",
                                     {"reason": "deadletter_write_failed"}) == 3
    assert _dead_letters(kafka_settings, timeout_s=2) == []


def test_oversized_poison_is_dead_lettered_small_and_store_goes_on(kafka_settings, tmp_path):
    # on main this raised MessageSizeTooLargeError from the loop: the dead letter held all 5 MB
    poison = b'{"event_id": "' + b"x" * 5_000_000 + b'"}'
    producer = KafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap, max_request_size=8_000_000,
                             enable_idempotence=True, acks="all")
    producer.send(EVENTS_TOPIC, key=b"same", value=poison)
    producer.send(EVENTS_TOPIC, key=b"same", value=b"{not json")
    producer.flush()
    producer.close()
    repo = EventRepository(f"sqlite:///{tmp_path / 'store.db'}")
    pub = Publisher(make_producer(kafka_settings, "store-test"))
    loop, handler = make_store_loop(make_consumer(kafka_settings, "store-test", "g-big-poison", list(STORE_TOPICS)),
                                    pub, repo, StoreMetrics(CollectorRegistry()), None, 3)
    _run(loop, 2)
    loop.close()
    handler.close()
    pub.close()
    repo.close()
    assert loop.stats.consumed == 2 and loop.stats.dead_lettered == 2
    dead = sorted(_dead_letters(kafka_settings), key=lambda d: (d.value_bytes or 0), reverse=True)
    assert [d.value_bytes for d in dead] == [len(poison), 9] and {d.source_topic for d in dead} == {EVENTS_TOPIC}
    assert dead[0].value_truncated and dead[0].value_sha256 == hashlib.sha256(poison).hexdigest()
    assert not dead[1].value_truncated and dead[1].value == "{not json"
