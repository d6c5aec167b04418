"""The extract consumer over a real broker: events out, poison to the dead-letter topic, clean SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from prometheus_client import CollectorRegistry

from services.common.contracts import DEADLETTER_TOPIC, EVENTS_TOPIC, STORIES_TOPIC, DeadLetter, Event, Story
from services.common.kafka import Publisher, make_consumer, make_producer
from services.extract.extractor import RuleExtractor
from services.extract.metrics import ExtractMetrics
from services.extract.service import make_loop
from tests.conftest import ROOT

TEXT = ("Taliban fighters stormed a police checkpoint in Dasht-e-Archi district of Kunduz province on "
        "Tuesday night, killing five policemen, officials said.")
FRENCH = ("Des combattants talibans ont pris d'assaut un poste de police dans le district de Dasht-e-Archi, "
          "dans la province de Kunduz, mardi soir, tuant cinq policiers, ont indiqué des responsables.")


def _drain(settings, topic: str, timeout_s: float = 5.0) -> list:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    tps = [TopicPartition(topic, p) for p in range(settings.kafka_partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    out, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for records in consumer.poll(500).values():
            out += records
    consumer.close()
    return out


def test_events_out_and_poison_dead_lettered(kafka_settings):
    producer = KafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap, enable_idempotence=True, acks="all")
    story = Story(story_id="s1", url="http://x/1", canonical_url="https://x/1", feed_id="f", outlet="Test",
                  text=TEXT, published_at=datetime(2020, 1, 29, 8, tzinfo=UTC),
                  fetched_at=datetime(2020, 1, 29, 9, tzinfo=UTC), content_hash="h")
    producer.send(STORIES_TOPIC, key=b"bad1", value=b"{not json")
    producer.send(STORIES_TOPIC, key=b"bad2", value=b'{"story_id": "missing fields"}')
    producer.send(STORIES_TOPIC, key=b"s1", value=story.to_bytes())
    # the same report in French: the extractor reads English only, so it is counted, not silently empty
    french = story.model_copy(update={"story_id": "s2", "language": None, "text": FRENCH})
    producer.send(STORIES_TOPIC, key=b"s2", value=french.to_bytes())
    # bad values inside a good story: a figure no casualty count reaches, a publication date out of range
    absurd = story.model_copy(update={"story_id": "s3", "published_at": datetime(9999, 12, 31, tzinfo=UTC),
                                      "text": "Taliban fighters killed 5000000 soldiers in Kunduz on Monday."})
    producer.send(STORIES_TOPIC, key=b"s3", value=absurd.to_bytes())
    producer.flush()
    producer.close()

    registry = CollectorRegistry()
    pub = Publisher(make_producer(kafka_settings, "extract-test"))
    loop, handler = make_loop(make_consumer(kafka_settings, "extract-test", "g-extract", [STORIES_TOPIC]), pub,
                              RuleExtractor(), ExtractMetrics(registry), None, 2)
    stop = threading.Event()
    deadline = time.monotonic() + 30
    while loop.stats.consumed < 5 and time.monotonic() < deadline:
        loop.run_batch()
    loop.close()
    pub.close()
    assert loop.stats.consumed == 5 and loop.stats.dead_lettered == 2
    for reason in ("figure_over_max", "published_out_of_range"):
        assert registry.get_sample_value("wirewatch_extract_discarded_total", {"reason": reason}) == 1, reason
    assert registry.get_sample_value("wirewatch_extract_unsupported_language_total", {"language": "fr"}) == 1
    assert registry.get_sample_value("wirewatch_extract_stories_total", {"result": "unsupported_language"}) == 1
    events = [Event.from_bytes(r.value) for r in _drain(kafka_settings, EVENTS_TOPIC)]
    assert sorted(e.story_id for e in events) == ["s1", "s3"]
    assert [e.fatalities for e in events if e.story_id == "s3"] == [0]
    (e,) = [e for e in events if e.story_id == "s1"]
    assert (e.admin1, e.admin2, e.event_date.isoformat()) == ("Kunduz", "Dasht-e-Archi", "2020-01-28")
    assert e.fatalities == 5 and e.actor2.name == "Police Forces of Afghanistan"
    dead = [DeadLetter.from_bytes(r.value) for r in _drain(kafka_settings, DEADLETTER_TOPIC)]
    assert sorted(d.key for d in dead) == ["bad1", "bad2"]
    assert all(d.stage == "extract" and d.error_type == "ValidationError" for d in dead)
    assert not stop.is_set()


def test_sigterm_stops_the_service_cleanly(kafka_settings):
    env = {k: v for k, v in os.environ.items()}
    env.update(WIREWATCH_KAFKA_BOOTSTRAP=kafka_settings.kafka_bootstrap, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "services.cli", "extract"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "ops endpoints on" in line:
                break
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, "".join(lines) + out
        assert "stopping after the batch in hand" in out
    finally:
        proc.kill()


class StuckOnMarker:
    """An extractor that never returns on a story saying STUCK, and finds nothing in any other
    (module-level: the extract worker process imports it)."""

    name = "stuck-test"

    def extract(self, story):
        while "STUCK" in story.text:
            pass
        return []


def test_a_story_over_the_extraction_budget_is_dead_lettered_and_the_loop_goes_on(kafka_settings):
    producer = KafkaProducer(bootstrap_servers=kafka_settings.kafka_bootstrap, enable_idempotence=True, acks="all")
    base = Story(story_id="s", url="http://x/1", canonical_url="https://x/1", feed_id="f", outlet="Test",
                 text=TEXT, fetched_at=datetime(2020, 1, 29, 9, tzinfo=UTC), content_hash="h")
    for sid, text in (("stuck", "STUCK " + TEXT), ("fine", TEXT)):
        producer.send(STORIES_TOPIC, key=b"same", value=base.model_copy(update={"story_id": sid, "text": text}).to_bytes())
    producer.flush()
    producer.close()
    registry = CollectorRegistry()
    pub = Publisher(make_producer(kafka_settings, "extract-test"))
    loop, handler = make_loop(make_consumer(kafka_settings, "extract-test", "g-stuck", [STORIES_TOPIC]), pub,
                              StuckOnMarker(), ExtractMetrics(registry), None, 3, story_timeout_s=2.0)
    deadline = time.monotonic() + 60
    while loop.stats.consumed < 2 and time.monotonic() < deadline:
        loop.run_batch()
    loop.close()
    handler.close()
    pub.close()
    assert loop.stats.consumed == 2 and loop.stats.dead_lettered == 1
    assert handler.worker.restarts == 1
    assert registry.get_sample_value("wirewatch_extract_stories_total", {"result": "timeout"}) == 1
    assert registry.get_sample_value("wirewatch_extract_stories_total", {"result": "no_events"}) == 1
    assert registry.get_sample_value("wirewatch_extract_deadletter_total", {"reason": "timeout"}) == 1
    (dead,) = [DeadLetter.from_bytes(r.value) for r in _drain(kafka_settings, DEADLETTER_TOPIC)]
    assert dead.key == "same" and dead.error_type == "ExtractionTimeout" and dead.attempts == 1


def test_the_worker_warms_the_extractor_it_runs(monkeypatch):
    from services.extract import extractor as extractor_module
    from services.extract.extractor import RuleExtractor
    from services.extract.service import CountedExtract

    loaded: list[int] = []
    monkeypatch.setattr(extractor_module, "default_world", lambda: loaded.append(1) or "world")
    lazy = RuleExtractor()
    CountedExtract(lazy).warm()  # what the worker runs before its first story, with warm on
    assert loaded == [1] and lazy.world == "world"
    CountedExtract(RuleExtractor(use_world=False)).warm()  # an extractor that never reads the world loads none
    assert loaded == [1]
