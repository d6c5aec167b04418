"""bench/harness/stages.py: per-stage latencies from the stories' and records' own timestamps."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from kafka import KafkaProducer

from bench.harness.stages import Record, quantile, read_records, stage_latencies, story_moments
from services.common.contracts import Story
from services.common.kafka import ensure_topics
from tests.helpers import make_event

T0 = 1_700_000_000.0


def _story(story_id: str, seen: float, fetched: float) -> Story:
    return Story(story_id=story_id, url=f"https://x/{story_id}", canonical_url=f"https://x/{story_id}",
                 feed_id="f", outlet="O", fetched_at=datetime.fromtimestamp(fetched, UTC),
                 first_seen_at=datetime.fromtimestamp(seen, UTC), content_hash=story_id)


def test_each_stage_runs_from_its_start_to_its_end():
    stories = [Record("s1", _story("s1", T0 + 1, T0 + 2).to_bytes(), T0 + 2.5),
               Record("s1", _story("s1", T0 + 9, T0 + 9).to_bytes(), T0 + 9.5),  # republished: the first counts
               Record("s2", _story("s2", T0 + 1, T0 + 3).to_bytes(), T0 + 4),
               Record("x", b"not json", T0)]
    events = [Record("e1", make_event(1, story_id="s1").to_bytes(), T0 + 4),
              Record("e2", make_event(2, story_id="s1").to_bytes(), T0 + 3),  # the earliest event counts
              Record("e3", b"{}", T0)]
    moments = story_moments(stories, events)
    assert moments["s1"] == {"published": T0 + 2.5, "seen": T0 + 1, "fetched": T0 + 2, "extracted": T0 + 3}
    stages = stage_latencies(moments, {"s1": T0, "s2": T0 + 0.5}, {"s1": T0 + 3.75})
    assert sorted(stages["poll wait"]) == [0.5, 1.0]
    assert sorted(stages["fetch+extract text"]) == [1.0, 2.0]
    assert sorted(stages["chunk+publish"]) == [0.5, 1.0]
    assert stages["extract"] == [0.5]  # s2 made no event
    assert stages["store+visible"] == [0.75]
    assert stages["end to end"] == [3.75]
    assert stages["seen -> stored"] == [2.75]


def test_a_clock_step_between_processes_is_never_a_negative_stage():
    moments = {"s": {"seen": T0 + 2, "fetched": T0 + 1}}
    assert stage_latencies(moments, {}, {})["fetch+extract text"] == [0.0]


def test_quantile_is_the_nearest_rank():
    assert math.isnan(quantile([], 0.5))
    assert quantile([3.0, 1.0, 2.0, 4.0], 0.5) == 3.0
    assert quantile([float(i) for i in range(100)], 0.95) == 95.0


def test_records_come_back_with_the_producers_timestamps(broker, kafka_settings):
    ensure_topics(kafka_settings)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)
    producer.send("wirewatch.stories.v1", key=b"a", value=b"1", timestamp_ms=int(T0 * 1000))
    producer.send("wirewatch.stories.v1", key=b"b", value=b"2", timestamp_ms=int((T0 + 1.5) * 1000))
    producer.flush()
    producer.close()
    got = sorted(read_records(broker.bootstrap, "wirewatch.stories.v1", idle_timeout_s=3.0), key=lambda r: r.key)
    assert [(r.key, r.value, r.timestamp_s) for r in got] == [("a", b"1", T0), ("b", b"2", T0 + 1.5)]
